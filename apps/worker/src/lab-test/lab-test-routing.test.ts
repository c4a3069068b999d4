import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '@kbisect/config';
import { type LabSpec, type LabTestJob, labTestQueueOf } from '@kbisect/contracts';
import { createQueues, type Queues } from '@kbisect/queue';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL } from '../../../../test/support/test-redis.js';
import { type RunningWorker, startWorker } from '../start-worker.js';

const url = TEST_REDIS_URL;
const prefix = `kbisect-test-lab-routing-${process.pid}-${randomBytes(3).toString('hex')}`;

/**
 * Two workers with different labs on one Redis, as lab workers next to their labs would be:
 * "east" has east-1 (pool east); "west" has west-1 (pool west) and east-2 (pool east). Nothing
 * connects to a lab: the jobs name no bisect, so the worker that takes one fails it for that
 * ("cancelled or removed") after it checked it serves the lab. What matters is which worker
 * took which job, and that none was failed as `LabNotServed`.
 */
describe('lab-test jobs go to the workers that have their lab', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kbisect-lab-routing-'));
  const logs = { east: [] as string[], west: [] as string[] };
  const workers: RunningWorker[] = [];
  let redis: Redis;
  let queues: Queues;

  const labFile = (name: string, pool: string) => {
    const file = join(dir, `${name}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        name,
        pool,
        host: '127.0.0.1',
        port: 9,
        hostKeyFingerprint: 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s',
      }),
    );
    return file;
  };

  const start = async (who: keyof typeof logs, labs: string[]) => {
    const file = join(dir, `${who}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        redis: { url, prefix },
        auth: { disabled: true },
        worker: { shutdownGraceMs: 500 },
        cacheDir: join(dir, who),
        labs,
        log: { level: 'info' },
      }),
    );
    const config = await loadConfig({ file, env: {} });
    const destination = new Writable({
      write(chunk, _encoding, done) {
        logs[who].push(String(chunk));
        done();
      },
    });
    workers.push(await startWorker(config, { logDestination: destination }));
  };

  beforeAll(async () => {
    await start('east', [labFile('east-1', 'east')]);
    await start('west', [labFile('west-1', 'west'), labFile('east-2', 'east')]);
    redis = new Redis(url, { maxRetriesPerRequest: null });
    queues = createQueues(redis, prefix);
  }, 30_000);

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.close()));
    await queues?.labTest.close();
    if (redis) {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.unlink(...keys);
      redis.disconnect();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  /** Sends tests for `lab` the way the coordinator does and waits until each one ended. */
  const send = async (lab: LabSpec, count: number) => {
    const queue = queues.labTest.get(labTestQueueOf(lab, 'some-build-host'));
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const bisectId = `b-routing-${randomBytes(3).toString('hex')}`;
      const data: LabTestJob = {
        owner: { bisectId },
        commit: 'a'.repeat(40),
        lab,
        oracle: { kind: 'command', command: 'true' },
        artifact: { host: 'some-build-host', worktree: '/nonexistent' },
        sampleIndex: 0,
      };
      const job = await queue.add('sample', data, { jobId: `${bisectId}.s0` });
      ids.push(job.id as string);
    }
    const deadline = Date.now() + 20_000;
    for (const id of ids) {
      for (;;) {
        const job = await queue.getJob(id);
        if (job && (await job.getState()) === 'failed') {
          // The job may have failed after `getJob` read it: read it again for its reason.
          const failed = await queue.getJob(id);
          expect(failed?.failedReason).toMatch(/cancelled or removed/);
          expect(failed?.failedReason).not.toMatch(/not served/);
          break;
        }
        if (Date.now() > deadline) throw new Error(`job ${id} did not end`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    return ids;
  };

  const tookJob = (who: keyof typeof logs, id: string) =>
    logs[who].some((line) => line.includes(`"job":"${id}"`));

  it('runs a named lab only on its worker, even where another worker has its pool', async () => {
    for (const id of await send({ name: 'east-1' }, 4)) {
      expect(tookJob('east', id)).toBe(true);
      expect(tookJob('west', id)).toBe(false);
    }
    for (const id of await send({ name: 'west-1' }, 4)) {
      expect(tookJob('west', id)).toBe(true);
      expect(tookJob('east', id)).toBe(false);
    }
  }, 30_000);

  it('runs a pool on the workers with a lab in it, and only there', async () => {
    for (const id of await send({ pool: 'west' }, 4)) {
      expect(tookJob('west', id)).toBe(true);
      expect(tookJob('east', id)).toBe(false);
    }
    // Both workers have a lab of pool east: either may take its tests, and neither refuses one.
    for (const id of await send({ pool: 'east' }, 4)) {
      expect(tookJob('east', id) || tookJob('west', id)).toBe(true);
    }
  }, 30_000);

  it('lists the queues each worker consumes in its ready line', () => {
    const ready = (who: keyof typeof logs) =>
      JSON.parse(logs[who].find((line) => line.includes('worker ready')) as string);
    expect(ready('east').labTestQueues).toEqual(
      expect.arrayContaining(['lab-test.lab.east-1', 'lab-test.pool.east']),
    );
    expect(ready('east').labTestQueues).not.toContain('lab-test.pool.west');
    expect(ready('west').labTestQueues).toEqual(
      expect.arrayContaining(['lab-test.lab.west-1', 'lab-test.lab.east-2', 'lab-test.pool.east']),
    );
  });
});
