import type { ServiceConfig } from '@kbisect/config';
import type { BisectRecord, CommitDescription, MailTarget, ResultObject } from '@kbisect/contracts';
import type { JournalEntry } from '@kbisect/core';
import { type Mailbox, type MailMessage, MailNotifier } from '@kbisect/notify';
import { type BisectReportInput, mailSubject, textReport } from '@kbisect/report';
import type { Redis } from 'ioredis';

/** What a finished bisect's mails are made of. */
export interface FinishedBisect {
  record: Pick<BisectRecord, 'id' | 'spec'>;
  result: ResultObject;
  commits: readonly CommitDescription[];
  journal: readonly JournalEntry[];
  /** Where the bisect is read, when known (ServiceLinks): the mail's Closes: tag. */
  url?: string | undefined;
  /** Extra Cc of the culprit's mail: get_maintainer.pl's answer, when asked for. */
  maintainers?: readonly Mailbox[];
}

/**
 * The report mails of a bisect, in LKP's manner: on `found`, To the culprit's author, Cc its
 * committer and the addresses the user added; the text report as the body with the tags a
 * fix should carry. Other endings send a mail only when the target asks (`on`), to the
 * user's addresses. Queued on the delivery queue (MailNotifier), never sent from here.
 */
export class BisectMails {
  #notifier: MailNotifier | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly config: ServiceConfig,
  ) {}

  /** The mails `notify` asks for, composed; empty when none applies to this ending. */
  compose(bisect: FinishedBisect, date = new Date()): { targetId: string; message: MailMessage }[] {
    const mail = this.config.mail;
    const targets = bisect.record.spec.notify ?? [];
    if (!mail || targets.length === 0) return [];
    const input: BisectReportInput = {
      result: { ...bisect.result, journal: [...bisect.journal] },
      commits: bisect.commits,
      ...(bisect.url ? { url: bisect.url } : {}),
      reportedBy: mail.reportedBy ?? mail.from,
    };
    const text = textReport(input);
    const subject = mailSubject(input);
    const domain = /@([^>\s]+)>?\s*$/.exec(mail.from)?.[1] ?? 'kbisect.invalid';
    return targets.flatMap((target, index) => {
      const recipients = this.recipients(target, bisect);
      if (!recipients) return [];
      const targetId = `mail-${index}`;
      const message: MailMessage = {
        from: mail.from,
        ...recipients,
        subject,
        text,
        messageId: `<kbisect.${bisect.record.id}.${index}@${domain}>`,
        date,
        headers: { 'X-Kbisect-Bisect': bisect.record.id },
        ...(target.mail.inReplyTo ? { inReplyTo: target.mail.inReplyTo } : {}),
      };
      return [{ targetId, message }];
    });
  }

  /** Composes and queues the mails; resolves with their delivery ids. */
  async finished(bisect: FinishedBisect): Promise<string[]> {
    const mails = this.compose(bisect);
    if (mails.length === 0) return [];
    const mail = this.config.mail;
    this.#notifier ??= new MailNotifier({
      connection: this.redis,
      prefix: this.config.redis.prefix,
      ...(mail ? { attempts: mail.attempts, backoffMs: mail.backoffMs } : {}),
    });
    return this.#notifier.send(bisect.record.id, mails);
  }

  private recipients(
    target: MailTarget,
    bisect: FinishedBisect,
  ): { to: Mailbox[]; cc: Mailbox[] } | undefined {
    const { result } = bisect;
    const on = target.mail.on ?? ['found'];
    if (!on.includes(result.status)) return undefined;
    const extraTo = (target.mail.to ?? []).map((address) => ({ address }));
    const extraCc = (target.mail.cc ?? []).map((address) => ({ address }));
    const culprit =
      result.status === 'found' && result.culprit
        ? bisect.commits.find((c) => c.sha === result.culprit)
        : undefined;
    const person = (p: { name: string; email: string }): Mailbox => ({
      name: p.name,
      address: p.email,
    });
    const to = culprit ? [person(culprit.author), ...extraTo] : extraTo;
    const cc = [
      ...(culprit?.committer ? [person(culprit.committer)] : []),
      ...extraCc,
      ...(culprit ? (bisect.maintainers ?? []) : []),
    ];
    // One line per person: To wins over Cc, and an address is named once.
    const seen = new Set<string>();
    const once = (list: Mailbox[]) =>
      list.filter((m) => {
        const key = m.address.toLowerCase();
        if (!m.address || seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    const uniqueTo = once(to);
    const uniqueCc = once(cc);
    if (uniqueTo.length === 0 && uniqueCc.length === 0) return undefined;
    // Nobody to address directly (no culprit, no `to`): the Cc list is the audience.
    return uniqueTo.length ? { to: uniqueTo, cc: uniqueCc } : { to: uniqueCc, cc: [] };
  }

  async close(): Promise<void> {
    await this.#notifier?.close();
    this.#notifier = undefined;
  }
}
