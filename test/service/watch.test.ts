import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startApi } from '@kbisect/api';
import { buildJobId, labTestJobId, labTestQueueOf, ownerKey } from '@kbisect/contracts';
import { verifySignature } from '@kbisect/notify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from '../../packages/notify/src/testing/receiver.js';
import { kbisect } from './support/run-cli.js';
import { ServiceHarness } from './support/service-harness.js';
import type { WorkerProcess } from './support/worker-process.js';

/**
 * Watches with real processes and the real Redis: a watch every 3 s on a branch of the
 * generated C project, measured by a deterministic metric (its record size); a worker killed
 * and restarted between runs; a regression pushed to the branch, found by the next run and
 * bisected to the commit that made it.
 */
let service: ServiceHarness;
let worker: WorkerProcess;
let dev: string;
/** The watch of a branch that does not build; the CLI test removes it. */
let brokenId: string;
/** The watches' notify target: a real HTTP server that records what it was sent. */
let receiver: Receiver;
const WEBHOOK_SECRET = 'watch-test-secret';

const METRIC = "sed -n 's/^#define RECORD_SIZE //p' main.c";
const EVERY_3_SECONDS = '*/3 * * * * *';

interface Run {
  id: string;
  status: string;
  kernel?: unknown;
  buildSeconds?: number;
  trigger: string;
  commit?: string;
  samples?: number[];
  median?: number;
  scheduledFor?: number;
  startedAt: string;
  finishedAt?: string;
  changePercent?: number;
  pValue?: number;
  bisectId?: string;
  notified?: string[];
  buildLogTail?: string;
  message?: string;
}

/** The dry run's mbox: the mails of the bisects regressions start. */
const MBOX_FILE = join(mkdtempSync(join(tmpdir(), 'kbisect-watch-mail-')), 'kbisect.mbox');
const MBOX = () => MBOX_FILE;

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

beforeAll(async () => {
  // A signing secret: watches with notify targets are refused without one; a mail section
  // (its dry run) for the mail target, which the bisects of regressions carry.
  service = await ServiceHarness.start('watch', {
    webhooks: { secret: WEBHOOK_SECRET },
    sections: { mail: { from: 'kbisect <kbisect@example.org>', mbox: MBOX() } },
  });
  receiver = await startReceiver([200]);
  const repo = service.project.dir;
  git(repo, 'branch', 'nightly', 'v1.0');
  git(repo, 'branch', 'broken', service.project.unbuildable[1] as string);
  // A developer's clone that pushes to the watched repository.
  dev = join(service.work, 'dev');
  git(service.work, 'clone', '-q', '-b', 'nightly', repo, dev);
  git(dev, 'config', 'user.email', 'dev@example.org');
  git(dev, 'config', 'user.name', 'Dev');
  worker = await service.startWorker();
});
afterAll(async () => {
  await service?.close();
  await receiver?.close();
  rmSync(dirname(MBOX_FILE), { recursive: true, force: true });
});

const watchSpec = (overrides: Record<string, unknown> = {}) => ({
  repo: service.project.dir,
  branch: 'nightly',
  cron: EVERY_3_SECONDS,
  tz: 'UTC',
  build: { command: 'make -s' },
  oracle: { kind: 'metric', command: METRIC },
  decision: { threshold: 1000 },
  samples: 5,
  regression: { metric: 'median', maxDropPercent: 10 },
  labels: { suite: 'watch' },
  notify: [{ id: 'team-hook', url: receiver.url }, { mail: { cc: ['team@example.org'] } }],
  ...overrides,
});

async function post(path: string, body?: unknown) {
  return service.request('POST', path, {
    ...(body !== undefined ? { body } : {}),
    token: service.tokens.writer,
  });
}

async function runsOf(id: string): Promise<Run[]> {
  const response = await service.request('GET', `/v1/watches/${id}/runs`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { runs: Run[] }).runs;
}

/** Polls the run history (newest first) until `done` says so. */
async function waitForRuns(id: string, done: (runs: Run[]) => boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const runs = await runsOf(id);
    if (done(runs)) return runs;
    if (Date.now() > deadline) {
      throw new Error(
        `runs of ${id} not as expected after ${timeoutMs} ms: ${JSON.stringify(runs, null, 1)}\n` +
          service.workerLogs(),
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

const finished = (runs: Run[]) => runs.filter((r) => r.status !== 'running');

describe('the watch API', () => {
  it('refuses what it cannot schedule, with the field named', async () => {
    const cases: [unknown, number, string][] = [
      [watchSpec({ cron: 'every night please' }), 400, 'body/cron'],
      [watchSpec({ tz: 'Mars/Olympus' }), 400, 'body/tz'],
      [watchSpec({ orcale: 'typo' }), 400, 'orcale'],
      [watchSpec({ oracle: { kind: 'command', command: 'true' } }), 400, 'body/decision/threshold'],
      [watchSpec({ oracle: { kind: 'command', command: 'true' }, decision: {} }), 201, ''],
      [watchSpec({ branch: 'no-such-branch' }), 422, 'body/branch'],
      [watchSpec({ lab: { pool: 'x86' } }), 422, 'body/lab'],
      [watchSpec({ regression: { metric: 'median', maxDropPercent: 150 } }), 400, 'maxDropPercent'],
    ];
    for (const [body, status, names] of cases) {
      const response = await post('/v1/watches', body);
      const text = await response.text();
      expect([response.status, text]).toEqual([status, expect.stringContaining(names)]);
      if (status === 201) {
        const id = (JSON.parse(text) as { id: string }).id;
        const removed = await service.request('DELETE', `/v1/watches/${id}`, {
          token: service.tokens.writer,
        });
        expect(removed.status).toBe(204);
        expect((await service.request('GET', `/v1/watches/${id}`)).status).toBe(404);
      }
    }
    expect((await service.request('POST', '/v1/watches', { body: watchSpec() })).status).toBe(401);
    expect(
      (
        await service.request('POST', '/v1/watches', {
          body: watchSpec(),
          token: service.tokens.reader,
        })
      ).status,
    ).toBe(403);
    expect((await service.request('GET', '/v1/watches/wnothere')).status).toBe(404);
    expect((await post('/v1/watches/wnothere/run')).status).toBe(404);
    expect((await service.request('GET', '/v1/watches/wnothere/runs')).status).toBe(404);
  });

  it('accepts a kernel build on a named lab or a pool when the lab is configured, and names the lab when it is not', async () => {
    // The same service with a lab in its config: a second API on the same Redis and prefix.
    const labFile = join(service.work, 'lab-vm.json');
    writeFileSync(
      labFile,
      JSON.stringify({
        name: 'lab-vm',
        pool: 'kvm',
        host: '127.0.0.1',
        port: 2222,
        hostKeyFingerprint: 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s',
      }),
    );
    const withLab = await startApi({ ...service.config, labs: [labFile], log: { level: 'warn' } });
    try {
      const kernelWatch = (lab: unknown) =>
        watchSpec({
          cron: '0 0 1 1 *',
          build: { kernel: { config: { defconfig: 'tinyconfig' } } },
          lab,
          oracle: { kind: 'splice-loopback' },
          decision: undefined,
          notify: undefined,
        });
      for (const lab of [{ name: 'lab-vm' }, { pool: 'kvm' }]) {
        const created = await fetch(`${withLab.url}/v1/watches`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${service.tokens.writer}`,
          },
          body: JSON.stringify(kernelWatch(lab)),
        });
        const body = (await created.json()) as { id: string; spec: { lab: unknown } };
        expect([created.status, body.spec?.lab]).toEqual([201, lab]);
        // A patch of another field keeps the lab (the schema's default 'local' is no patch).
        const patched = await fetch(`${withLab.url}/v1/watches/${body.id}`, {
          method: 'PATCH',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${service.tokens.writer}`,
          },
          body: JSON.stringify({ cron: '0 3 1 1 *' }),
        });
        const after = (await patched.json()) as { spec: { lab: unknown; cron: string } };
        expect([patched.status, after.spec?.lab, after.spec?.cron]).toEqual([
          200,
          lab,
          '0 3 1 1 *',
        ]);
        const removed = await service.request('DELETE', `/v1/watches/${body.id}`, {
          token: service.tokens.writer,
        });
        expect(removed.status).toBe(204);
      }
      // The harness's API has no lab: the same bodies are refused, naming the field and the lab.
      const cases: [unknown, string, RegExp][] = [
        [{ name: 'lab-vm' }, 'body/lab/name', /unknown lab "lab-vm": configured labs are none/],
        [{ pool: 'kvm' }, 'body/lab/pool', /no configured lab is in pool "kvm"/],
        ['local', 'body/lab', /a kernel build needs a lab to boot it on/],
      ];
      for (const [lab, path, message] of cases) {
        const refused = await post('/v1/watches', kernelWatch(lab));
        const error = (await refused.json()) as {
          message: string;
          details?: { path: string }[];
        };
        expect([refused.status, error.details?.[0]?.path]).toEqual([422, path]);
        expect(error.message).toMatch(message);
      }
    } finally {
      await withLab.close();
    }
  });
});

describe('a watch every 3 s on a branch', () => {
  let id: string;

  it('is scheduled by a BullMQ job scheduler and runs twice, each run keeping its figures', async () => {
    const response = await post('/v1/watches', watchSpec());
    expect(response.status).toBe(201);
    const created = (await response.json()) as { id: string; nextRunAt?: string };
    id = created.id;
    expect(Date.parse(created.nextRunAt as string)).toBeGreaterThan(Date.now() - 1000);
    const runs = await waitForRuns(id, (r) => finished(r).length >= 2);
    const v1 = git(service.project.dir, 'rev-parse', 'v1.0');
    for (const run of finished(runs).slice(0, 2)) {
      expect(run).toMatchObject({ status: 'good', trigger: 'schedule', commit: v1, median: 65536 });
      expect(run.samples).toEqual([65536, 65536, 65536, 65536, 65536]);
      // Cron ticks, 3 s apart.
      expect((run.scheduledFor as number) % 3000).toBe(0);
    }
    const watch = (await (await service.request('GET', `/v1/watches/${id}`)).json()) as {
      lastGood?: { commit: string };
    };
    expect(watch.lastGood?.commit).toBe(v1);
    const list = (await (await service.request('GET', '/v1/watches')).json()) as {
      watches: { id: string }[];
    };
    expect(list.watches.map((w) => w.id)).toContain(id);
  });

  it('loses no run when the worker is down: the missed ticks run once when it is back', async () => {
    await waitForRuns(id, (r) => r[0]?.status !== 'running');
    worker.kill('SIGKILL');
    await worker.exited;
    const downAt = Date.now();
    await new Promise((r) => setTimeout(r, 7000));
    const before = await runsOf(id);
    // No job can be taken before the new process exists: every tick before this was missed.
    const backAt = Date.now();
    worker = await service.startWorker();
    // Nothing ran while no worker was there.
    expect(before.filter((r) => Date.parse(r.startedAt) > downAt)).toEqual([]);
    // At least two ticks fell in the 7 s without a worker: one run stands for them all. It is
    // the first tick's job, which BullMQ's scheduler made before the kill (it makes the next
    // job when one starts), so it may be due before the kill too when the machine is slow and
    // a run outlasts the 3 s interval. It may wait for the run the kill interrupted.
    const stoodIn = (r: Run) =>
      Date.parse(r.startedAt) >= backAt && (r.scheduledFor as number) < backAt;
    const runs = await waitForRuns(
      id,
      (r) => r.some((run) => stoodIn(run) && run.status === 'good'),
      90_000,
    );
    // One run for all the missed ticks, not one per tick.
    expect(runs.filter(stoodIn)).toHaveLength(1);
    // None left half-done by the kill.
    await waitForRuns(id, (r) => r.slice(1).every((run) => run.status === 'good'), 90_000);
  }, 240_000);

  it('notices a regression pushed to the branch and bisects it to the commit that made it', async () => {
    const notes = join(dev, 'NOTES');
    writeFileSync(notes, 'Nightly notes\n');
    git(dev, 'add', 'NOTES');
    git(dev, 'commit', '-q', '-m', 'Add nightly notes');
    const main = join(dev, 'main.c');
    writeFileSync(
      main,
      readFileSync(main, 'utf8').replace('#define RECORD_SIZE 65536', '#define RECORD_SIZE 512'),
    );
    git(dev, 'commit', '-q', '-am', 'sender: smaller records');
    const culprit = git(dev, 'rev-parse', 'HEAD');
    writeFileSync(notes, 'Nightly notes\nmore\n');
    git(dev, 'commit', '-q', '-am', 'More nightly notes');
    const tip = git(dev, 'rev-parse', 'HEAD');
    git(dev, 'push', '-q', 'origin', 'nightly');

    const runs = await waitForRuns(id, (r) =>
      r.some((run) => run.commit === tip && run.status === 'regression'),
    );
    const run = runs.find((r) => r.commit === tip && r.status === 'regression') as Run;
    expect(run.median).toBe(512);
    expect(run.changePercent).toBeCloseTo(-99.2, 1);
    expect(run.pValue).toBeLessThan(0.05);
    expect(run.bisectId).toMatch(/^b[0-9a-f]{12}$/);
    expect(run.notified).toHaveLength(1);

    // The team's receiver got the regression, signed with the service's secret.
    const isThisRegression = (body: Buffer) => {
      const payload = JSON.parse(body.toString('utf8'));
      return payload.event === 'watch.regression' && payload.run?.id === run.id;
    };
    await expect
      .poll(() => receiver.requests.filter((r) => isThisRegression(r.body)).length, {
        timeout: 20_000,
      })
      .toBe(1);
    const delivery = receiver.requests.find((r) => isThisRegression(r.body));
    if (!delivery) throw new Error('no watch.regression delivery');
    expect(delivery.headers['x-kbisect-event']).toBe('watch.regression');
    expect(delivery.headers['x-kbisect-delivery']).toBe(run.notified?.[0]);
    expect(verifySignature({ secret: WEBHOOK_SECRET, ...delivery })).toBe(true);
    expect(verifySignature({ secret: `${WEBHOOK_SECRET}x`, ...delivery })).toBe(false);
    expect(JSON.parse(delivery.body.toString('utf8'))).toMatchObject({
      event: 'watch.regression',
      watchId: id,
      bisectId: run.bisectId,
      run: {
        id: run.id,
        status: 'regression',
        commit: tip,
        median: 512,
        bisectId: run.bisectId,
        message: run.message,
      },
    });

    const bisect = await service.waitForEnd(run.bisectId as string);
    expect(bisect.status).toBe('found');
    expect(bisect.result?.culprit).toBe(culprit);
    expect(bisect.result?.subject).toBe('sender: smaller records');
    const record = (await (await service.request('GET', `/v1/bisects/${run.bisectId}`)).json()) as {
      spec: { labels: Record<string, string> };
    };
    expect(record.spec.labels).toEqual({ suite: 'watch', watchId: id, runId: run.id });
    // The watch's mail target went with the bisect: the culprit's author got the report.
    expect((record.spec as { notify?: unknown }).notify).toEqual([
      { mail: { cc: ['team@example.org'] } },
    ]);
    await expect
      .poll(() => (existsSync(MBOX()) ? readFileSync(MBOX(), 'utf8') : ''), { timeout: 20_000 })
      .toContain(`X-Kbisect-Bisect: ${run.bisectId}`);
    const mbox = readFileSync(MBOX(), 'utf8');
    expect(mbox).toContain('To: Dev <dev@example.org>');
    expect(mbox).toContain('Cc: team@example.org');

    // The regression is still there on the next runs: the same bisect, not a second one.
    const later = await waitForRuns(
      id,
      (r) => r.filter((x) => x.commit === tip && x.status === 'regression').length >= 2,
    );
    const bisects = new Set(later.filter((r) => r.status === 'regression').map((r) => r.bisectId));
    expect(bisects.size).toBe(1);

    // The culprit reverted: the watch measures good again and records the fix on the bisect.
    git(dev, 'revert', '--no-edit', culprit);
    const fixTip = git(dev, 'rev-parse', 'HEAD');
    git(dev, 'push', '-q', 'origin', 'nightly');
    await waitForRuns(id, (r) => r.some((x) => x.commit === fixTip && x.status === 'good'));
    const fixed = (await (await service.request('GET', `/v1/bisects/${run.bisectId}`)).json()) as {
      fix?: { commit: string; by: string; note?: string };
    };
    expect(fixed.fix).toMatchObject({
      commit: fixTip,
      by: `watch:${id}`,
      note: expect.stringContaining(`the fix is in ${tip.slice(0, 12)}..${fixTip.slice(0, 12)}`),
    });
    const report = await (
      await service.request('GET', `/v1/bisects/${run.bisectId}/report.txt`)
    ).text();
    expect(report).toContain(`fixed: ${fixTip} ("Revert "sender: smaller records"")`);
  });

  it('runs now on request, and stops when deleted', async () => {
    // A yearly schedule: only the run asked for happens.
    const patched = await service.request('PATCH', `/v1/watches/${id}`, {
      body: { cron: '0 0 1 1 *' },
      token: service.tokens.writer,
    });
    expect(patched.status).toBe(200);
    expect(Date.parse(((await patched.json()) as { nextRunAt: string }).nextRunAt)).toBeGreaterThan(
      Date.now() + 3600_000,
    );
    const asked = await post(`/v1/watches/${id}/run`);
    expect(asked.status).toBe(202);
    const { runId } = (await asked.json()) as { runId: string };
    const runs = await waitForRuns(id, (r) =>
      r.some((run) => run.id === runId && run.status !== 'running'),
    );
    expect(runs.find((r) => r.id === runId)?.trigger).toBe('manual');
    const removed = await service.request('DELETE', `/v1/watches/${id}`, {
      token: service.tokens.writer,
    });
    expect(removed.status).toBe(204);
    expect((await service.request('GET', `/v1/watches/${id}`)).status).toBe(404);
  });
});

describe('runs of one watch', () => {
  it('never overlap, even on a worker that runs several watch jobs at once', async () => {
    git(service.project.dir, 'branch', 'one-at-a-time', 'v1.0');
    const response = await post(
      '/v1/watches',
      watchSpec({ branch: 'one-at-a-time', cron: '0 0 1 1 *', samples: 3, notify: [] }),
    );
    expect(response.status).toBe(201);
    const { id } = (await response.json()) as { id: string };
    // Two runs asked for at once; the worker's watch concurrency (4) would start both.
    const asked = await Promise.all([post(`/v1/watches/${id}/run`), post(`/v1/watches/${id}/run`)]);
    const runIds = await Promise.all(
      asked.map(async (a) => ((await a.json()) as { runId: string }).runId),
    );
    expect(new Set(runIds).size).toBe(2);
    const runs = await waitForRuns(
      id,
      (r) => runIds.every((runId) => r.some((run) => run.id === runId && run.status !== 'running')),
      60_000,
    );
    const [first, second] = runs
      .filter((run) => runIds.includes(run.id))
      .sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt)) as [Run, Run];
    expect(first.finishedAt).toBeDefined();
    expect(Date.parse(second.startedAt)).toBeGreaterThanOrEqual(
      Date.parse(first.finishedAt as string),
    );
    const removed = await service.request('DELETE', `/v1/watches/${id}`, {
      token: service.tokens.writer,
    });
    expect(removed.status).toBe(204);
  });
});

describe('a watch run, a coordinator of build and lab-test jobs', () => {
  beforeAll(() => {
    git(service.project.dir, 'branch', 'coordinated', 'v1.0');
  });
  afterAll(async () => {
    await service.queues().build.resume();
  });

  it('queues a build job for the tip and a lab-test job per sample, and measures nothing itself', async () => {
    const response = await post(
      '/v1/watches',
      watchSpec({ branch: 'coordinated', cron: '0 0 1 1 *', samples: 3 }),
    );
    expect(response.status).toBe(201);
    const { id } = (await response.json()) as { id: string };
    // No build worker takes a job while the queue is paused: the run can only wait for it.
    await service.queues().build.pause();
    const asked = await post(`/v1/watches/${id}/run`);
    const { runId } = (await asked.json()) as { runId: string };
    const owner = { watchId: id, runId };
    const tip = git(service.project.dir, 'rev-parse', 'coordinated');
    const buildId = buildJobId(ownerKey(owner), 0, tip, 'build', 0);
    const deadline = Date.now() + 30_000;
    while (!(await service.queues().build.getJob(buildId)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const build = await service.queues().build.getJob(buildId);
    expect(build?.data).toMatchObject({ owner, commit: tip, command: 'make -s' });
    expect(await build?.getState()).toBe('waiting');
    await new Promise((r) => setTimeout(r, 1000));
    const waiting = (await runsOf(id))[0];
    expect(waiting).toMatchObject({ id: runId, status: 'running', commit: tip });
    expect(waiting?.samples).toBeUndefined();
    expect(waiting?.buildSeconds).toBeUndefined();

    await service.queues().build.resume();
    const runs = await waitForRuns(id, (r) => r[0]?.status === 'good');
    const run = runs[0] as Run;
    expect(await build?.getState()).toBe('completed');
    // The samples are the lab-test jobs' results, one job each, on the build host's queue.
    const labTests = service.queues().labTest.get(labTestQueueOf('local', hostname()));
    const measured: number[] = [];
    for (const index of [0, 1, 2]) {
      const job = await labTests.getJob(labTestJobId(buildId, index));
      expect(job?.data).toMatchObject({ owner, commit: tip, sampleIndex: index });
      expect(await job?.getState()).toBe('completed');
      const result = job?.returnvalue as { kind: string; sample: { value: number } };
      expect(result.kind).toBe('sample');
      measured.push(result.sample.value);
    }
    expect(await labTests.getJob(labTestJobId(buildId, 3))).toBeUndefined();
    expect(run.samples).toEqual(measured);
    expect(run.samples).toEqual([65536, 65536, 65536]);
    // A build command builds no kernel: the run records none.
    expect(run.kernel).toBeUndefined();
    const removed = await service.request('DELETE', `/v1/watches/${id}`, {
      token: service.tokens.writer,
    });
    expect(removed.status).toBe(204);
  });
});

describe('a watch whose tip has not moved since its last good run', () => {
  it('calls a worse figure of the same commit a change of the lab or the test, and bisects nothing', async () => {
    git(service.project.dir, 'branch', 'unmoved', 'v1.0');
    const figure = (value: number) => ({
      kind: 'metric',
      command: 'cat figure',
      files: [{ path: 'figure', content: `${value}\n` }],
    });
    const response = await post(
      '/v1/watches',
      watchSpec({ branch: 'unmoved', cron: '0 0 1 1 *', oracle: figure(100), notify: undefined }),
    );
    expect(response.status).toBe(201);
    const { id } = (await response.json()) as { id: string };
    expect((await post(`/v1/watches/${id}/run`)).status).toBe(202);
    await waitForRuns(id, (r) => r[0]?.status === 'good');
    // The test changes, the branch does not: the same commit now measures ten times worse.
    const patched = await service.request('PATCH', `/v1/watches/${id}`, {
      body: { oracle: figure(10) },
      token: service.tokens.writer,
    });
    expect(patched.status).toBe(200);
    expect((await post(`/v1/watches/${id}/run`)).status).toBe(202);
    const runs = await waitForRuns(id, (r) => finished(r).length === 2);
    const run = runs[0] as Run;
    expect([run.status, run.bisectId]).toEqual(['regression', undefined]);
    expect(run.message).toMatch(/is the last good run's commit: .* nothing to bisect/);
    await service.request('DELETE', `/v1/watches/${id}`, { token: service.tokens.writer });
  });
});

describe('a watch whose tip does not build', () => {
  it('records the failure with the build log, notifies, and starts no bisect', async () => {
    const response = await post('/v1/watches', watchSpec({ branch: 'broken', cron: '0 0 1 1 *' }));
    expect(response.status).toBe(201);
    const { id } = (await response.json()) as { id: string };
    brokenId = id;
    expect((await post(`/v1/watches/${id}/run`)).status).toBe(202);
    const runs = await waitForRuns(id, (r) => r[0]?.status === 'build-failed');
    const run = runs[0] as Run;
    expect(run.commit).toBe(service.project.unbuildable[1]);
    expect(run.buildLogTail).toMatch(/error/);
    expect(run.bisectId).toBeUndefined();
    expect(run.notified).toHaveLength(1);
  });
});

describe('kbisect watch, the CLI client', () => {
  it('adds, lists, runs, shows the runs of and removes a watch, each with --json', async () => {
    const env = { KBISECT_SERVER: service.api.url, KBISECT_TOKEN: service.tokens.writer };
    const adding = kbisect(
      [
        'watch',
        'add',
        '--repo',
        service.project.dir,
        '--branch',
        'nightly',
        '--cron',
        '0 3 * * *',
        '--tz',
        'Europe/Paris',
        '--build',
        'make -s',
        '--oracle',
        `metric:${METRIC}`,
        '--threshold',
        '1000',
        '--run-samples',
        '3',
        '--max-drop',
        '10',
        '--label',
        'team=net',
        '--notify',
        'team-hook=http://127.0.0.1:9/hook',
        '--json',
      ],
      env,
    );
    // The refused one runs beside it: each CLI process takes seconds to start.
    const [added, refused] = await Promise.all([
      adding,
      kbisect(
        [
          'watch',
          'add',
          '--repo',
          service.project.dir,
          '--branch',
          'nightly',
          '--cron',
          'nope',
          '--oracle',
          'command:true',
        ],
        env,
      ),
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('body/cron');
    expect([added.code, added.stderr]).toEqual([0, '']);
    const id = added.json?.id as string;
    expect(added.json).toMatchObject({
      spec: {
        branch: 'nightly',
        cron: '0 3 * * *',
        tz: 'Europe/Paris',
        samples: 3,
        regression: { metric: 'median', maxDropPercent: 10 },
        labels: { team: 'net' },
        oracle: { kind: 'metric', command: METRIC },
        decision: { threshold: 1000 },
      },
    });
    const [list, human, ran] = await Promise.all([
      kbisect(['watch', 'list', '--json'], env),
      kbisect(['watch', 'list'], env),
      kbisect(['watch', 'run', id, '--json'], env),
    ]);
    expect((list.json?.watches as { id: string }[] | undefined)?.map((w) => w.id)).toContain(id);
    expect(human.stdout).toContain(`${id}  nightly@`);
    expect(ran.code).toBe(0);
    const runId = ran.json?.runId as string;
    await waitForRuns(id, (r) => r.some((run) => run.id === runId && run.status !== 'running'));
    const [runs, removed] = await Promise.all([
      kbisect(['watch', 'runs', id, '--json'], env),
      kbisect(['watch', 'rm', brokenId, '--json'], env),
    ]);
    const run = (runs.json?.runs as Run[] | undefined)?.[0];
    expect(run).toMatchObject({ id: runId, trigger: 'manual' });
    expect(run?.samples).toHaveLength(3);
    expect([removed.code, removed.json]).toEqual([0, { id: brokenId, removed: true }]);
    expect((await service.request('GET', `/v1/watches/${brokenId}`)).status).toBe(404);
    const gone = await service.request('DELETE', `/v1/watches/${id}`, {
      token: service.tokens.writer,
    });
    expect(gone.status).toBe(204);
    // Eight CLI processes (each seconds to start under tsx) and a run through the build and
    // lab-test queues: a minute is not enough on a loaded 2-core machine (at a load of 44,
    // `kbisect --help` alone took 14 s).
  }, 180_000);
});
