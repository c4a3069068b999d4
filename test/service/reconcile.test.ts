import { QUEUE } from '@kbisect/contracts';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceHarness } from './support/service-harness.js';

let service: ServiceHarness;
let redis: Redis;

beforeAll(async () => {
  service = await ServiceHarness.start('reconcile');
  redis = new Redis(service.config.redis.url, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  redis?.disconnect();
  await service?.close();
});

describe('a worker that starts while bisects are open', () => {
  it('ends a bisect whose coordinator job failed unseen, and queues again one whose job is gone', async () => {
    const prefix = service.config.redis.prefix;
    const failed = await service.submit();
    const lost = await service.submit();

    // Nobody ran them: one job fails as a stalled job would, the other one disappears.
    const taker = new Worker(QUEUE.coordinator, null, {
      connection: redis,
      prefix,
      autorun: false,
    });
    const token = 'test-token';
    const job = await taker.getNextJob(token);
    expect(job?.id).toBe(failed);
    await job?.moveToFailed(new Error('job stalled more than allowable limit'), token);
    await taker.close();
    const queue = new Queue(QUEUE.coordinator, { connection: redis, prefix });
    expect(await queue.remove(lost)).toBe(1);
    await queue.close();

    const worker = await service.startWorker();
    const ended = await service.waitForEnd(failed, 15_000);
    expect(ended.status).toBe('error');
    expect(ended.result?.error).toMatch(
      /the coordinator job failed: job stalled more than allowable limit/,
    );
    const found = await service.waitForEnd(lost);
    expect(found.result?.culprit).toBe(service.project.culprit);
    expect(worker.output).toMatch(/"requeued":1,"ended":1/);
  });
});
