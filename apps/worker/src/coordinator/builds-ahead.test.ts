import { Queue, QueueEvents, Worker } from 'bullmq';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  connectTestRedis,
  deleteKeys,
  TEST_REDIS_URL,
  uniquePrefix,
} from '../../../../test/support/test-redis.js';
import { BuildsAhead } from './builds-ahead.js';

/**
 * Dropping builds ahead on a real BullMQ queue: a waiting one is removed and a running one
 * stopped, by the coordinator that runs the bisect; one that lost the bisect drops nothing.
 */
const prefix = uniquePrefix('builds-ahead');
const redis = connectTestRedis();
const queue = new Queue('build', { connection: redis, prefix });
const events = new QueueEvents('build', { connection: redis, prefix });
const log = pino({ level: 'silent' });
let worker: Worker | undefined;
const workerRedis = connectTestRedis();

beforeAll(() => events.waitUntilReady());
afterEach(async () => {
  await worker?.close(true);
  worker = undefined;
  await queue.obliterate({ force: true });
});
afterAll(async () => {
  await events.close();
  await queue.close();
  await redis.quit();
  await workerRedis.quit();
  await deleteKeys(TEST_REDIS_URL, prefix);
});

/**
 * A worker whose one build runs until its run is cancelled; resolves once it runs. It then
 * takes no other job (paused), so a build ahead that waits still waits when it is dropped:
 * the worker would otherwise take it the moment the first one was stopped (seen in CI).
 */
async function runningBuild(): Promise<Worker> {
  let started: () => void = () => {};
  const running = new Promise<void>((resolve) => {
    started = resolve;
  });
  const w = new Worker(
    'build',
    (_job, _token, signal) =>
      new Promise((_, reject) => {
        started();
        signal?.addEventListener('abort', () => reject(new Error(String(signal.reason))));
      }),
    { connection: workerRedis, prefix, concurrency: 1 },
  );
  worker = w;
  await running;
  await w.pause(true);
  return w;
}

function buildsAhead(stillOwner: boolean, stopped: string[], onStop = (_: string) => {}) {
  return new BuildsAhead({
    queue,
    events,
    release: async () => {},
    stop: async (jobId) => {
      stopped.push(jobId);
      onStop(jobId);
    },
    stillOwner: async () => stillOwner,
    log,
  });
}

describe('dropping builds ahead', () => {
  it('removes a waiting one and stops a running one, once the verdict picked another', async () => {
    const stopped: string[] = [];
    let w: Worker | undefined;
    const ahead = buildsAhead(true, stopped, (jobId) => w?.cancelJob(jobId, 'dropped'));
    await ahead.start('a', 'b.1.a', 1, {});
    w = await runningBuild();
    await ahead.start('b', 'b.1.b', 1, {});
    await ahead.start('c', 'b.1.c', 1, {});
    await ahead.adopt('c', 'b.1.c', 1);
    await ahead.dropAll();
    expect(stopped).toEqual(['b.1.a']);
    expect(await (await queue.getJob('b.1.a'))?.getState()).toBe('failed');
    expect(await queue.getJob('b.1.b')).toBeUndefined();
  });

  it('drops nothing for a coordinator that lost its bisect: the new one counts on them', async () => {
    const stopped: string[] = [];
    const ahead = buildsAhead(false, stopped);
    await ahead.start('a', 'b.1.a', 1, {});
    await runningBuild();
    await ahead.start('b', 'b.1.b', 1, {});
    await ahead.dropAll();
    expect(stopped).toEqual([]);
    expect(await (await queue.getJob('b.1.a'))?.getState()).toBe('active');
    expect(await (await queue.getJob('b.1.b'))?.getState()).toBe('prioritized');
  });
});
