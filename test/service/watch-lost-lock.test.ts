import { existsSync, writeFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL } from '../support/test-redis.js';
import { ServiceHarness } from './support/service-harness.js';
import type { WorkerProcess } from './support/worker-process.js';

/**
 * A watch run whose worker stops running for longer than its job lock (a loaded machine) is
 * run again by another worker, under the same run id: the new attempt takes over the watch's
 * lease and waits for the same build and sample jobs. The stale attempt, once its worker runs
 * again, must stop at once and give back nothing: not the lease (the next run of the watch
 * would start beside the new attempt) and not the run's worktrees (the new attempt's).
 */
let service: ServiceHarness;
let redis: Redis;
/** How long the first worker is stopped: longer than the lock (SHORT_LOCKS, 1.5 s). */
const STOPPED_MS = 5_000;
const SAMPLES = 3;
const METRIC = "sed -n 's/^#define RECORD_SIZE //p' main.c";
const STALE_STOPPED = /another attempt runs this watch run now/;

beforeAll(async () => {
  service = await ServiceHarness.startForWorkerKills('watch-lost-lock');
  redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  await redis?.quit();
  await service?.close();
});

async function runOf(watchId: string, runId: string) {
  const response = await service.request('GET', `/v1/watches/${watchId}/runs`);
  const { runs } = (await response.json()) as {
    runs: { id: string; status: string; samples?: number[] }[];
  };
  return runs.find((run) => run.id === runId);
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a watch run that lost its job lock', () => {
  it('stops its stale attempt, which leaves the new attempt its lease and its result', async () => {
    const m = service.markers;
    const prefix = service.config.redis.prefix;
    // Each sample waits for the test's go: the run is still measuring while the test looks.
    const oracle = {
      kind: 'metric' as const,
      command: `touch ${m}/sampling; while [ ! -e ${m}/go ]; do sleep 0.1; done; ${METRIC}`,
    };
    const first: WorkerProcess = await service.startWorker();
    const created = await service.request('POST', '/v1/watches', {
      body: {
        repo: service.project.dir,
        branch: 'main',
        cron: '0 0 1 1 *',
        tz: 'UTC',
        build: { command: 'make -s' },
        oracle,
        decision: { threshold: 1000 },
        samples: SAMPLES,
      },
      token: service.tokens.writer,
    });
    expect(created.status).toBe(201);
    const { id: watchId } = (await created.json()) as { id: string };
    const started = await service.request('POST', `/v1/watches/${watchId}/run`, {
      token: service.tokens.writer,
    });
    expect(started.status).toBe(202);
    const { runId } = (await started.json()) as { runId: string };
    const leaseKey = `${prefix}:watch:${watchId}:running`;
    const lockKey = `${prefix}:watch:${runId}:lock`;

    // The run measures its first sample on the only worker; then a second worker comes, and
    // the first stops running (as a loaded machine would) for longer than its lock.
    await until('first sample', async () => existsSync(`${m}/sampling`) || undefined, 60_000);
    const staleLock = await redis.get(lockKey);
    expect(staleLock).toBeTruthy();
    const second = await service.startWorker();
    first.kill('SIGSTOP');
    const stoppedAt = Date.now();
    // The second worker runs the job again: a new lock token, and the run's lease moves to it.
    const newLock = await until(
      'the job run again',
      async () => {
        const lock = await redis.get(lockKey);
        return lock && lock !== staleLock ? lock : undefined;
      },
      30_000,
    );
    await until(
      'the new attempt on the lease',
      async () => ((await redis.get(leaseKey))?.startsWith(runId) ? true : undefined),
      10_000,
    );
    await new Promise((r) => setTimeout(r, Math.max(0, stoppedAt + STOPPED_MS - Date.now())));
    first.kill('SIGCONT');
    const resumedAt = Date.now();

    // The stale attempt stops within moments of running again, while the new one measures on.
    await until(
      'the stale attempt stopped',
      async () => (STALE_STOPPED.test(first.output) ? true : undefined),
      5_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${first.output.slice(-4000)}`);
    });
    const stoppedWithin = Date.now() - resumedAt;
    // Given time to have released anything it would: the lease is still the new attempt's.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await redis.get(leaseKey)).toBe(`${runId}/${newLock}`);
    expect(await redis.get(lockKey)).toBe(newLock);
    expect((await runOf(watchId, runId))?.status).toBe('running');
    expect(STALE_STOPPED.test(second.output)).toBe(false);

    // The new attempt ends the run, with every sample, and then frees the lease.
    writeFileSync(`${m}/go`, '');
    const run = await until(
      'the run ended',
      async () => {
        const found = await runOf(watchId, runId);
        return found && found.status !== 'running' ? found : undefined;
      },
      60_000,
    );
    expect(run.status, second.output.slice(-4000)).toBe('good');
    expect(run.samples).toHaveLength(SAMPLES);
    await until(
      'the lease freed',
      async () => ((await redis.get(leaseKey)) ? undefined : true),
      5_000,
    );
    console.log(`stale watch attempt stopped ${stoppedWithin} ms after its worker resumed`);
    await Promise.all([first.stop(), second.stop()]);
  }, 180_000);
});
