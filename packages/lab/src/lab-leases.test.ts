import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabBusy, LabDown } from './errors/index.js';
import { LabLeases } from './lab-leases.js';

const prefix = `kbisect-test-${randomBytes(6).toString('hex')}:`;

async function redisUp(): Promise<boolean> {
  const probe = new Redis({
    host: '127.0.0.1',
    port: 6379,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

const available = await redisUp();

describe.skipIf(!available)('lab leases in Redis', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis({ host: '127.0.0.1', port: 6379 });
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('gives a lab to one worker at a time', async () => {
    const leases = new LabLeases(redis, { prefix, ttlMs: 5000 });
    const first = await leases.acquire('lab-a', 'worker-1');

    const second = await leases.acquire('lab-a', 'worker-2').catch((e) => e);
    expect(second).toBeInstanceOf(LabBusy);
    expect(second.holder).toBe(first.holder);

    await first.release();
    const third = await leases.acquire('lab-a', 'worker-2');
    expect(await leases.holder('lab-a')).toBe(third.holder);
    await third.release();
  });

  it('hands the lab to a waiting worker as soon as the holder releases it', async () => {
    const leases = new LabLeases(redis, { prefix, ttlMs: 5000 });
    const first = await leases.acquire('lab-b', 'worker-1');
    const waiting = leases.acquire('lab-b', 'worker-2', { waitMs: 5000 });
    await sleep(300);
    await first.release();
    const second = await waiting;
    expect(second.holder).toContain('worker-2');
    await second.release();
  });

  it('keeps a held lease alive past its expiry by renewing it', async () => {
    const leases = new LabLeases(redis, { prefix, ttlMs: 300 });
    const lease = await leases.acquire('lab-c', 'worker-1');
    await sleep(900);
    expect(await leases.holder('lab-c')).toBe(lease.holder);
    expect(lease.lost.aborted).toBe(false);
    await lease.release();
  });

  it('frees the lab of a holder that crashed once its lease expires', async () => {
    const leases = new LabLeases(redis, { prefix, ttlMs: 300 });
    // A holder that stopped renewing: the key as a crashed worker leaves it.
    await redis.set(`${prefix}lab:lab-d:lease`, 'crashed-worker', 'PX', 300);

    const lease = await leases.acquire('lab-d', 'worker-2', { waitMs: 3000 });
    expect(lease.holder).toContain('worker-2');
    await lease.release();
  });

  it('tells a holder that its lease was taken away', async () => {
    const leases = new LabLeases(redis, { prefix, ttlMs: 300 });
    const lease = await leases.acquire('lab-e', 'worker-1');
    await redis.set(`${prefix}lab:lab-e:lease`, 'someone-else');

    await expect.poll(() => lease.lost.aborted, { timeout: 2000 }).toBe(true);
    await lease.release();
    expect(await leases.holder('lab-e')).toBe('someone-else');
  });

  it('does not lease a lab marked down, and says why', async () => {
    const leases = new LabLeases(redis, { prefix });
    await leases.markDown('lab-f', 'no SSH after a power cycle');

    const error = await leases.acquire('lab-f', 'worker-1').catch((e) => e);
    expect(error).toBeInstanceOf(LabDown);
    expect(error.message).toContain('no SSH after a power cycle');

    await leases.markUp('lab-f');
    await (await leases.acquire('lab-f', 'worker-1')).release();
  });
});
