import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeNeeding } from '../../../test/support/requirements.js';
import { connectTestRedis, testRedis } from '../../../test/support/test-redis.js';
import { LabBusy, LabDown, LabPoolBusy, LabPoolDown } from './errors/index.js';
import { LabLeases } from './lab-leases.js';

const prefix = `kbisect-test-${randomBytes(6).toString('hex')}:`;

const describeWithRedis = describeNeeding(await testRedis());

describeWithRedis('lab leases in Redis', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = connectTestRedis();
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('tells the next holder when the one before crashed instead of releasing', async () => {
    const leases = new LabLeases(redis, { prefix, ttlMs: 300 });
    const clean = await leases.acquire('lab-crash', 'worker-1');
    expect(clean.uncleanPrevious).toBeUndefined();
    await clean.release();
    const again = await leases.acquire('lab-crash', 'worker-2');
    expect(again.uncleanPrevious).toBeUndefined();

    // worker-2's process dies: its renewals stop (a second client stands for it) and it
    // never releases. Its lease expires; the next holder must hear about it.
    const crashed = new LabLeases(redis, { prefix: `${prefix}other:`, ttlMs: 300 });
    await again.release();
    const dying = await crashed.acquire('lab-crash', 'worker-3');
    await redis.del(`${prefix}other:lab:lab-crash:lease`); // the lease expired
    const next = await crashed.acquire('lab-crash', 'worker-4', { waitMs: 2000 });
    expect(next.uncleanPrevious).toBe(dying.holder);
    await next.release();
    const after = await crashed.acquire('lab-crash', 'worker-5');
    expect(after.uncleanPrevious).toBeUndefined();
    await after.release();
    // The crashed holder's late release must not clear the marker of a later holder.
    const current = await crashed.acquire('lab-crash', 'worker-6');
    await dying.release();
    expect(await redis.get(`${prefix}other:lab:lab-crash:in-use`)).toBe(current.holder);
    await current.release();
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
    const ttlMs = 600;
    const leases = new LabLeases(redis, { prefix, ttlMs });
    const lease = await leases.acquire('lab-c', 'worker-1');
    const acquiredAt = Date.now();
    // Wait on the renewals themselves (the key's expiry moving back up), not on a sleep that
    // a loaded machine could stretch: four renewals at a third of the TTL outlive one TTL.
    const key = `${prefix}lab:lab-c:lease`;
    let renewals = 0;
    let last = await redis.pttl(key);
    await expect
      .poll(
        async () => {
          const remaining = await redis.pttl(key);
          if (remaining > last) renewals += 1;
          last = remaining;
          return renewals;
        },
        { timeout: 10_000, interval: 20 },
      )
      .toBeGreaterThanOrEqual(4);
    expect(Date.now() - acquiredAt).toBeGreaterThan(ttlMs);
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

  describe('pools', () => {
    it('gives two holders two labs of the pool, and a third the first one released', async () => {
      const leases = new LabLeases(redis, { prefix, ttlMs: 5000 });
      const pool = ['pool1-a', 'pool1-b'];
      const [first, second] = await Promise.all([
        leases.acquireFromPool('p1', pool, 'worker-1'),
        leases.acquireFromPool('p1', pool, 'worker-2'),
      ]);
      expect(new Set([first?.lab, second?.lab])).toEqual(new Set(pool));

      const busy = await leases.acquireFromPool('p1', pool, 'worker-3').catch((e) => e);
      expect(busy).toBeInstanceOf(LabPoolBusy);
      expect(busy.message).toContain(first?.holder);
      expect(busy.message).toContain(second?.holder);

      const waiting = leases.acquireFromPool('p1', pool, 'worker-3', { waitMs: 5000 });
      await sleep(300);
      await second?.release();
      const third = await waiting;
      expect(third.lab).toBe(second?.lab);
      expect(await leases.holder(third.lab)).toBe(third.holder);
      await Promise.all([first?.release(), third.release()]);
    });

    it('leases around a lab marked down, and waits for the labs that are up', async () => {
      const leases = new LabLeases(redis, { prefix, ttlMs: 5000 });
      const pool = ['pool2-a', 'pool2-b'];
      await leases.markDown('pool2-a', 'no SSH after a power cycle');
      const first = await leases.acquireFromPool('p2', pool, 'worker-1');
      expect(first.lab).toBe('pool2-b');

      // Busy, not down: the error names the holder of the lab that is up, not the down one.
      const busy = await leases.acquireFromPool('p2', pool, 'worker-2').catch((e) => e);
      expect(busy).toBeInstanceOf(LabPoolBusy);
      expect([...busy.holders.keys()]).toEqual(['pool2-b']);

      await first.release();
      await leases.markUp('pool2-a');
      const up = await leases.acquireFromPool('p2', pool, 'worker-2');
      expect(up.lab).toBe('pool2-a');
      await up.release();
    });

    it('fails with every lab and its reason when the whole pool is down, even while waiting', async () => {
      const leases = new LabLeases(redis, { prefix, ttlMs: 5000 });
      const pool = ['pool3-a', 'pool3-b'];
      await leases.markDown('pool3-a', 'power cycle failed: ipmitool exit 1');
      const held = await leases.acquireFromPool('p3', pool, 'worker-1');
      const waiting = leases
        .acquireFromPool('p3', pool, 'worker-2', { waitMs: 5000 })
        .catch((e) => e);
      await sleep(300);
      // The holder's lab does not come back from a boot failure: it leaves the pool.
      await leases.markDown('pool3-b', 'default kernel not back after 180 s');
      await held.release();

      const error = await waiting;
      expect(error).toBeInstanceOf(LabPoolDown);
      expect(error.message).toBe(
        'every lab of pool p3 is down: pool3-a: power cycle failed: ipmitool exit 1; ' +
          'pool3-b: default kernel not back after 180 s',
      );
      const again = await leases.acquireFromPool('p3', pool, 'worker-3').catch((e) => e);
      expect(again).toBeInstanceOf(LabPoolDown);
    });

    it('tries first the lab that already runs the kernel, so a commit boots once', async () => {
      const leases = new LabLeases(redis, { prefix, ttlMs: 5000 });
      const pool = ['pool5-a', 'pool5-b'];
      await leases.noteKernel('pool5-a', '6.1.0-kb-aaaa');
      await leases.noteKernel('pool5-b', '6.1.0-kb-bbbb');
      const warm = await leases.acquireFromPool('p5', pool, 'worker-1', {
        kernel: '6.1.0-kb-bbbb',
      });
      expect(warm.lab).toBe('pool5-b');
      // Busy with another bisect: any other lab of the pool does, and will boot the kernel.
      const other = await leases.acquireFromPool('p5', pool, 'worker-2', {
        kernel: '6.1.0-kb-bbbb',
      });
      expect(other.lab).toBe('pool5-a');
      await Promise.all([warm.release(), other.release()]);
      await leases.noteKernel('pool5-b', undefined);
      expect(await leases.kernelOf('pool5-b')).toBeUndefined();
    });

    it('takes the lab idle longest, not the one a commit just released between its samples', async () => {
      const leases = new LabLeases(redis, { prefix, ttlMs: 5000 });
      const pool = ['pool6-a', 'pool6-b', 'pool6-c'];
      // Commit A's first sample ran on pool6-a; its next sample (leased by name) is on its way.
      const sampleOfA = await leases.acquireFromPool('p6', pool, 'sample-0-of-a');
      expect(sampleOfA.lab).toBe('pool6-a');
      await sampleOfA.release();
      // Commit B's first sample, in that gap, takes an idle lab and leaves pool6-a to A.
      const sampleOfB = await leases.acquireFromPool('p6', pool, 'sample-0-of-b');
      expect(sampleOfB.lab).toBe('pool6-b');
      await sampleOfB.release();
      const sampleOfC = await leases.acquireFromPool('p6', pool, 'sample-0-of-c');
      expect(sampleOfC.lab).toBe('pool6-c');
      await sampleOfC.release();
      // All used once: the one released longest ago, pool6-a.
      const next = await leases.acquireFromPool('p6', pool, 'sample-0-of-d');
      expect(next.lab).toBe('pool6-a');
      await next.release();
    });

    it('stops waiting for a busy pool when the caller aborts', async () => {
      const leases = new LabLeases(redis, { prefix, ttlMs: 5000 });
      const held = await leases.acquireFromPool('p4', ['pool4-a'], 'worker-1');
      const controller = new AbortController();
      const waiting = leases
        .acquireFromPool('p4', ['pool4-a'], 'worker-2', {
          waitMs: 10_000,
          signal: controller.signal,
        })
        .catch((e) => e);
      await sleep(200);
      controller.abort(new Error('bisect cancelled'));
      expect((await waiting).message).toBe('bisect cancelled');
      await held.release();
    });
  });
});
