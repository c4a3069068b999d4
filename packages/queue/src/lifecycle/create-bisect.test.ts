import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, Repositories } from '@kbisect/config';
import type { BisectSpec } from '@kbisect/contracts';
import { QUEUE } from '@kbisect/contracts';
import { makeRepo } from '@kbisect/git/test-support';
import { UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectTestRedis,
  deleteKeys,
  TEST_REDIS_URL,
  uniquePrefix,
} from '../../../../test/support/test-redis.js';
import { createQueues, type Queues } from '../queues.js';
import { createStores, type Stores } from '../store/stores.js';
import { type BisectStarter, createBisect } from './create-bisect.js';

/**
 * A POST is committed before its response or never: the record is written last, so a request
 * whose Redis fails half-way leaves no record that a worker's reconcile would later start.
 */
const prefix = uniquePrefix('create-bisect');
const dir = mkdtempSync(join(tmpdir(), 'kbisect-create-bisect-'));
let redis: Redis;
let stores: Stores;
let queues: Queues;
let starter: BisectStarter;
let spec: BisectSpec;

beforeAll(async () => {
  const repo = makeRepo(join(dir, 'repo'));
  repo.commit({ 'a.txt': '1' }, 'one');
  repo.tag('v1');
  repo.commit({ 'a.txt': '2' }, 'two');
  repo.commit({ 'a.txt': '3' }, 'three');
  spec = {
    repo: repo.dir,
    good: 'v1',
    bad: 'main',
    oracle: { kind: 'command', command: 'true' },
  };
  redis = connectTestRedis();
  const config = await loadConfig({ env: { KBISECT_REDIS_PREFIX: prefix } });
  stores = createStores(redis, config);
  queues = createQueues(redis, config.redis.prefix);
  starter = { stores, queues, repositories: new Repositories(join(dir, 'cache')), config };
});

afterAll(async () => {
  await queues.coordinator.close();
  await deleteKeys(TEST_REDIS_URL, prefix);
  await redis.quit();
  rmSync(dir, { recursive: true, force: true });
});

describe('createBisect', () => {
  it('stores the record and queues its coordinator under the same id', async () => {
    const { record } = await createBisect(starter, { spec, submittedBy: 'ci' });
    expect((await stores.bisects.get(record.id))?.status).toBe('queued');
    expect((await queues.coordinator.getJob(record.id))?.data).toEqual({ bisectId: record.id });
  });

  it('leaves no record when Redis fails before the commit point', async () => {
    const failing: BisectStarter = {
      ...starter,
      stores: {
        ...stores,
        events: new Proxy(stores.events, {
          get: (target, name, receiver) =>
            name === 'append'
              ? () => Promise.reject(new Error('Connection is closed.'))
              : Reflect.get(target, name, receiver),
        }),
      },
    };
    await expect(
      createBisect(failing, { spec, submittedBy: 'ci', id: 'b-never-committed' }),
    ).rejects.toThrow('Connection is closed.');
    expect(await stores.bisects.get('b-never-committed')).toBeUndefined();
    // Nothing for a restarted worker's reconcile to start later.
    expect(await stores.bisects.idsWithStatus('queued')).not.toContain('b-never-committed');
  });

  it('runs again a coordinator that gave up before a retried caller committed the record', async () => {
    const id = 'b-rearmed';
    // What a coordinator does when no record appears in time: fail the job for good.
    const gaveUp = new Worker(
      QUEUE.coordinator,
      async () => {
        throw new UnrecoverableError('no record');
      },
      { connection: redis, prefix },
    );
    const failed = new Promise<void>((resolve) =>
      gaveUp.on('failed', (job) => {
        if (job?.id === id) resolve();
      }),
    );
    await queues.coordinator.add('bisect', { bisectId: id }, { jobId: id });
    await failed;
    await gaveUp.close();
    expect(await (await queues.coordinator.getJob(id))?.isFailed()).toBe(true);
    await createBisect(starter, { spec, submittedBy: 'watch:w1', id });
    expect(await (await queues.coordinator.getJob(id))?.getState()).toBe('waiting');
  });
});
