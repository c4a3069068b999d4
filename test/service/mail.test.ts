import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { MAIL_EVENT, type MailJob, WEBHOOK_QUEUE } from '@kbisect/notify';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceHarness } from './support/service-harness.js';

/** One message as the SMTP server on loopback received it. */
interface Received {
  from: string;
  rcptTo: string[];
  user: string | undefined;
  raw: Buffer;
}

const password = `smtp-${randomBytes(12).toString('hex')}`;
const received: Received[] = [];
/** Mails to this address are refused with a temporary 451 this many more times. */
let flakyRefusals = 2;
const FLAKY = 'flaky@kbisect.invalid';
const LIST = 'regressions@lists.kbisect.invalid';
const THREAD = '<20261206.report@lists.kbisect.invalid>';
/** The full mail of the demo bisect, kept for the issue note. */
const SAVED_MAIL = join(import.meta.dirname, '../../test-output/mail/demo-bisect-found.eml');

let smtp: SMTPServer;
let smtpPort: number;
let service: ServiceHarness;

beforeAll(async () => {
  // A real SMTP server on loopback that wants a login, as a relay does (plain text on loopback).
  smtp = new SMTPServer({
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === 'kbisect' && auth.password === password) {
        callback(null, { user: auth.username });
        return;
      }
      callback(new Error('535 5.7.8 authentication failed'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const rcptTo = session.envelope.rcptTo.map((r) => r.address);
        if (rcptTo.includes(FLAKY) && flakyRefusals > 0) {
          flakyRefusals--;
          const error = new Error('451 4.3.0 try again later') as Error & { responseCode: number };
          error.responseCode = 451;
          callback(error);
          return;
        }
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcptTo,
          user: session.user as string | undefined,
          raw: Buffer.concat(chunks),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  smtpPort = (smtp.server.address() as AddressInfo).port;
  service = await ServiceHarness.start('mail', {
    sections: {
      // The address people read bisects at, which the mail's links name.
      api: { host: '127.0.0.1', port: 0, publicUrl: 'https://kbisect.example.org' },
      mail: {
        from: 'kbisect <kbisect@kbisect.invalid>',
        reportedBy: 'kbisect robot <robot@kbisect.invalid>',
        smtp: {
          host: '127.0.0.1',
          port: smtpPort,
          tls: 'none',
          auth: { user: 'kbisect', passwordEnv: 'KBISECT_TEST_SMTP_PASSWORD' },
          timeoutMs: 5000,
        },
        attempts: 5,
        backoffMs: 50,
      },
    },
  });
  await service.startWorker({ KBISECT_TEST_SMTP_PASSWORD: password });
}, 60_000);

afterAll(async () => {
  await service?.close();
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
});

interface Delivery {
  event: string;
  attempt: number;
  outcome: string;
  origin: string;
  statusCode?: number;
  error?: string;
}

async function deliveries(s: ServiceHarness, id: string): Promise<Delivery[]> {
  const response = await s.request('GET', `/v1/bisects/${id}/deliveries`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { deliveries: Delivery[] }).deliveries;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const mailsOf = (id: string) =>
  received.filter((r) => r.raw.toString('utf8').includes(`X-Kbisect-Bisect: ${id}`));

describe('report mails of the service', () => {
  it('mails a found culprit to its author, LKP style: headers, setup, evidence, tags, log', async () => {
    const id = await service.submit(
      service.spec({ notify: [{ mail: { cc: [LIST], inReplyTo: THREAD } }] }),
    );
    const view = await service.waitForEnd(id);
    expect(view.status).toBe('found');
    const log = await waitFor('the mail delivery', async () => {
      const list = await deliveries(service, id);
      return list.some((d) => d.outcome === 'delivered') ? list : undefined;
    });
    expect(log).toEqual([
      expect.objectContaining({
        event: MAIL_EVENT,
        attempt: 1,
        outcome: 'delivered',
        origin: `smtp://127.0.0.1:${smtpPort}`,
        statusCode: 250,
      }),
    ]);
    const mails = mailsOf(id);
    expect(mails).toHaveLength(1);
    const [mail] = mails as [Received];
    // The relay was logged in to; the envelope names the author and the list.
    expect(mail.user).toBe('kbisect');
    expect(mail.from).toBe('kbisect@kbisect.invalid');
    expect(mail.rcptTo.sort()).toEqual([LIST, 'tester@kbisect.invalid'].sort());

    const parsed = await simpleParser(mail.raw);
    const culprit = service.project.culprit;
    const commits = (view.commits ?? []) as { sha: string; describe?: string }[];
    const name = commits.find((c) => c.sha === culprit)?.describe;
    expect(name).toMatch(/^v1\.0-\d+-g[0-9a-f]+$/);
    expect(parsed.subject).toBe(`[kbisect] ${name}: exit code 1`);
    expect(parsed.from?.value).toEqual([{ name: 'kbisect', address: 'kbisect@kbisect.invalid' }]);
    expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value : []).toEqual([
      { name: 'Lab Tester', address: 'tester@kbisect.invalid' },
    ]);
    // The committer of the demo is its author: named once, in To.
    expect(parsed.cc && !Array.isArray(parsed.cc) ? parsed.cc.value : []).toEqual([
      { name: '', address: LIST },
    ]);
    expect(parsed.inReplyTo).toBe(THREAD);
    expect(parsed.references).toBe(THREAD);
    expect(parsed.messageId).toBe(`<kbisect.${id}.0@kbisect.invalid>`);

    const text = parsed.text ?? '';
    const url = `https://kbisect.example.org/v1/bisects/${id}`;
    expect(text).toMatch(/^Hello,\n\nkbisect noticed a regression on:\n/);
    expect(text).toContain(
      `commit: ${culprit} ("sender: flush every 512-byte record immediately")`,
    );
    expect(text).toContain('author: Lab Tester <tester@kbisect.invalid>');
    expect(text).toContain(`bisect: ${url}`);
    // The setup, from the spec the service stored.
    expect(text).toContain(`repository: ${service.project.dir}`);
    expect(text).toContain('range: v1.0..main (good..bad)');
    expect(text).toContain('build: command: make -s');
    expect(text).toContain('lab: local (the worker host)');
    expect(text).toContain('decision: exit code: 0 good, 125 skip, 1-127 bad');
    expect(text).toContain(
      'kindly add following tags\n' +
        '| Reported-by: kbisect robot <robot@kbisect.invalid>\n' +
        `| Closes: ${url}\n`,
    );
    expect(text).toMatch(/tested commits:\n +# +commit +verdict/);
    expect(text).toContain(`git bisect log:\n# bad: [`);
    expect(text).toContain(`# first bad commit: [${culprit}]`);

    // The password reached the SMTP server and nothing else: not the logs, not the API.
    const worker = service.workers.map((w) => w.output).join('\n');
    expect(worker).toContain('mail delivered');
    expect(worker).not.toContain(password);
    expect(JSON.stringify(log)).not.toContain(password);
    const record = await service.request('GET', `/v1/bisects/${id}`);
    expect(await record.text()).not.toContain(password);
  }, 120_000);

  it("mails the demo bisect (lbench, calibrated) with the parent/culprit table and the effect's interval", async () => {
    // The bisect `npm run demo` runs: the project's own loopback benchmark, calibrated.
    const id = await service.submit(
      service.spec({
        oracle: { kind: 'metric', command: './lbench' },
        decision: { direction: 'higher-is-better' },
        notify: [{ mail: { cc: [LIST] } }],
      }),
    );
    const view = await service.waitForEnd(id, 240_000);
    expect(view.status).toBe('found');
    await waitFor('the demo mail', async () => (mailsOf(id).length ? true : undefined));
    const [mail] = mailsOf(id) as [Received];
    mkdirSync(join(SAVED_MAIL, '..'), { recursive: true });
    writeFileSync(SAVED_MAIL, mail.raw);
    console.log(`the demo bisect's mail as the SMTP server received it: ${SAVED_MAIL}`);

    const parsed = await simpleParser(mail.raw);
    expect(parsed.subject).toMatch(/^\[kbisect\] v1\.0-\d+-g[0-9a-f]+: metric -\d+% regression$/);
    const text = parsed.text ?? '';
    expect(text).toMatch(/^kbisect noticed a -\d+% regression of metric on:$/m);
    // The rule that decided leads: the rank test's p, or the likelihood ratio then that p.
    expect(text).toMatch(
      /^effect: metric -\d+% \(\d+ → \d+\), (p|likelihood ratio \d+ ≥ 1000 \(rank test p) = /m,
    );
    expect(text).toMatch(
      /^change: -[\d.]+% metric against the parent, 95% interval -[\d.]+% to -[\d.]+%$/m,
    );
    expect(text).toContain('         %stddev     %change         %stddev');
    expect(text).toContain('decision: Mann-Whitney U, higher-is-better; calibration up to 40 runs');
    expect(text).toContain(`commit: ${service.project.culprit}`);
  }, 300_000);

  it('retries a mail server that answers 451, and logs every attempt', async () => {
    flakyRefusals = 2;
    const id = await service.submit(service.spec({ notify: [{ mail: { to: [FLAKY] } }] }));
    expect((await service.waitForEnd(id)).status).toBe('found');
    const log = await waitFor('the third attempt', async () => {
      const list = await deliveries(service, id);
      return list.some((d) => d.outcome === 'delivered') ? list : undefined;
    });
    expect(log.map((d) => [d.attempt, d.outcome, d.statusCode])).toEqual([
      [1, 'retrying', 451],
      [2, 'retrying', 451],
      [3, 'delivered', 250],
    ]);
    expect(log[0]?.error).toContain('try again later');
    const mails = mailsOf(id);
    expect(mails).toHaveLength(1);
    expect(mails[0]?.rcptTo.sort()).toEqual([FLAKY, 'tester@kbisect.invalid'].sort());
  }, 120_000);

  it('sends nothing for an inconclusive bisect unless the target asks, then to its addresses', async () => {
    // Every test says "skip": nothing can be narrowed down.
    const skipAll = { kind: 'command' as const, command: 'exit 125' };
    const [silent, asked] = await Promise.all([
      service.submit(service.spec({ oracle: skipAll, notify: [{ mail: { cc: [LIST] } }] })),
      service.submit(
        service.spec({
          oracle: skipAll,
          notify: [{ mail: { to: [LIST], on: ['found', 'inconclusive'] } }],
        }),
      ),
    ]);
    expect((await service.waitForEnd(silent)).status).toBe('inconclusive');
    expect((await service.waitForEnd(asked)).status).toBe('inconclusive');
    await waitFor('the asked-for mail', async () => (mailsOf(asked).length ? true : undefined));
    const [mail] = mailsOf(asked) as [Received];
    expect(mail.rcptTo).toEqual([LIST]);
    const parsed = await simpleParser(mail.raw);
    expect(parsed.subject).toMatch(
      /^\[kbisect\] v1\.0\.\.main: inconclusive, \d+ candidate commits$/,
    );
    expect(parsed.text).toContain('kbisect could not narrow the regression down to one commit');
    expect(mailsOf(silent)).toHaveLength(0);
    expect(await deliveries(service, silent)).toEqual([]);
  }, 120_000);

  it('refuses notify targets (422) on a service without a mail section', async () => {
    const bare = await ServiceHarness.start('mail-none');
    try {
      const response = await bare.request('POST', '/v1/bisects', {
        body: bare.spec({ notify: [{ mail: { cc: [LIST] } }] }),
        token: bare.tokens.writer,
      });
      expect(response.status).toBe(422);
      expect(((await response.json()) as { message: string }).message).toContain(
        'add a `mail` section',
      );
    } finally {
      await bare.close();
    }
  });
});

describe('the mbox dry run', () => {
  let dry: ServiceHarness;
  let mbox: string;
  beforeAll(async () => {
    mbox = join(service.work, 'dry-run', 'kbisect.mbox');
    dry = await ServiceHarness.start('mail-mbox', {
      sections: { mail: { from: 'kbisect <kbisect@kbisect.invalid>', mbox } },
    });
    await dry.startWorker();
  }, 60_000);
  afterAll(() => dry?.close());

  it('writes the mail to an mbox that a mail parser reads back as the queued message', async () => {
    const id = await dry.submit(dry.spec({ notify: [{ mail: { cc: [LIST] } }] }));
    expect((await dry.waitForEnd(id)).status).toBe('found');
    const log = await waitFor('the dry-run delivery', async () => {
      const list = await deliveries(dry, id);
      return list.some((d) => d.outcome === 'delivered') ? list : undefined;
    });
    expect(log[0]).toMatchObject({ event: MAIL_EVENT, origin: 'mbox (dry run)' });
    // Sent nowhere: the SMTP server of the other service saw no mail of this bisect.
    expect(mailsOf(id)).toHaveLength(0);

    const content = readFileSync(mbox, 'utf8');
    expect(content).toMatch(/^From kbisect@kbisect\.invalid [A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d /);
    // mboxrd as a reader takes it apart: a "From " line starts each message, an empty line
    // ends it, and ">From " lines lose one ">".
    const entries = content
      .split(/^From .*\n/m)
      .filter((e) => e.trim() !== '')
      .map((e) => e.replace(/\n\n$/, '\n').replace(/^>(>*From )/gm, '$1'));
    expect(entries).toHaveLength(1);
    const fromMbox = await simpleParser(entries[0] as string);

    // The job on the delivery queue holds the bytes SMTP would have sent.
    const redis = new Redis(dry.config.redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue<MailJob>(WEBHOOK_QUEUE, {
      connection: redis,
      prefix: dry.config.redis.prefix,
    });
    try {
      const jobs = await queue.getJobs(['completed']);
      const job = jobs.find((j) => j.data.bisectId === id);
      expect(job?.name).toBe('mail');
      const queued = await simpleParser(job?.data.raw ?? '');
      expect(fromMbox.messageId).toBe(`<kbisect.${id}.0@kbisect.invalid>`);
      expect(fromMbox.messageId).toBe(queued.messageId);
      expect(fromMbox.subject).toBe(queued.subject);
      expect(fromMbox.to).toEqual(queued.to);
      expect(fromMbox.cc).toEqual(queued.cc);
      expect(fromMbox.date).toEqual(queued.date);
      expect(fromMbox.text).toBe(queued.text);
      expect(fromMbox.text).toContain(`commit: ${dry.project.culprit}`);
      expect(fromMbox.text).toContain('| Reported-by: kbisect <kbisect@kbisect.invalid>');
      // No api.publicUrl, and api.port 0: the links name the address the API got.
      expect(dry.api.url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
      expect(fromMbox.text).toContain(`| Closes: ${dry.api.url}/v1/bisects/${id}\n`);
    } finally {
      await queue.close();
      redis.disconnect();
    }
  }, 120_000);
});
