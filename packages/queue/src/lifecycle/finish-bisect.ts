import type { BisectStatus, CommitDescription } from '@kbisect/contracts';
import { bisectSetupOf, errorResultObject, type ResultObject } from '@kbisect/contracts';
import type { Mailbox } from '@kbisect/notify';
import type { Stores } from '../store/stores.js';
import type { LifecycleLog } from './webhook.js';

export interface FinishOptions {
  result?: ResultObject;
  commits?: CommitDescription[];
  /** get_maintainer.pl's answer for the culprit: Cc of its report mail. */
  maintainers?: Mailbox[];
}

/**
 * Ends a bisect: the record's terminal status and result, then the stream's `result`,
 * `status` and `end` events (followers stop at `end`), then the webhook (queued as a signed
 * `bisect.finished` delivery) and the report mails of `notify`. A bisect that already
 * ended (a cancel that won the race, a twin coordinator) keeps its status, and nothing is
 * written or called twice. Resolves with the status the bisect ended in.
 */
export async function finishBisect(
  stores: Stores,
  id: string,
  status: BisectStatus,
  log: LifecycleLog,
  { result, commits, maintainers }: FinishOptions = {},
): Promise<BisectStatus> {
  const given =
    result ??
    errorResultObject(
      new Error(status === 'cancelled' ? `bisect ${id} was cancelled` : `bisect ${id} ${status}`),
    );
  // Every way a bisect ends carries its setup, so every report says what ran where.
  const spec = (await stores.bisects.get(id))?.spec;
  const final: ResultObject = spec ? { ...given, setup: bisectSetupOf(spec) } : given;
  const ended = await stores.bisects.finish(id, status, {
    result: final,
    ...(commits ? { commits } : {}),
  });
  const record = await stores.bisects.get(id);
  if (!ended || !record) return record?.status ?? status;
  await stores.events.append(id, 'result', final);
  await stores.events.append(id, 'status', { status });
  await stores.events.append(id, 'end', { status });
  if (record.spec.webhook) {
    // Queued, not posted: the webhook worker signs, posts, retries and logs each attempt.
    try {
      const [deliveryId] = await stores.webhooks.finished(id, record.spec.webhook, status, final);
      log.info({ deliveryId }, 'webhook queued');
    } catch (error) {
      log.warn({ err: (error as Error).message }, 'could not queue the webhook');
    }
  }
  if (record.spec.notify?.length) {
    try {
      const deliveryIds = await stores.mails.finished({
        record,
        result: final,
        commits: commits ?? record.commits ?? [],
        journal: await stores.journals.read(id),
        url: await stores.links.bisect(id),
        ...(maintainers ? { maintainers } : {}),
      });
      if (deliveryIds.length) log.info({ deliveryIds }, `${deliveryIds.length} mail(s) queued`);
    } catch (error) {
      log.warn({ err: (error as Error).message }, 'could not queue the report mail');
    }
  }
  return status;
}
