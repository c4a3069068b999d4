import { randomBytes } from 'node:crypto';
import { loadConfig } from '@kbisect/config';
import type { BisectRecord } from '@kbisect/contracts';
import type { JournalEntry } from '@kbisect/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL } from '../../../../test/support/test-redis.js';
import { JournalConflict } from '../errors/journal-conflict.js';
import { WatchRunLeaseLost } from '../errors/watch-run-lease-lost.js';
import { COALESCED } from '../watch/watch-run-lease.js';
import { createStores, type Stores } from './stores.js';

const url = TEST_REDIS_URL;
const prefix = `kbisect-test-stores-${process.pid}-${randomBytes(3).toString('hex')}`;
let redis: Redis;
let stores: Stores;

beforeAll(async () => {
  redis = new Redis(url, { maxRetriesPerRequest: null });
  stores = createStores(redis, await loadConfig({ env: { KBISECT_REDIS_PREFIX: prefix } }));
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

const entry = (commit: string, verdict: JournalEntry['verdict'] = 'good'): JournalEntry => ({
  commit,
  verdict,
  source: 'oracle',
});

const record = (id: string, labels?: Record<string, string>): BisectRecord => ({
  id,
  status: 'queued',
  spec: {
    repo: '/r',
    good: 'v1',
    bad: 'v2',
    oracle: { kind: 'command', command: 'true' },
    ...(labels ? { labels } : {}),
  },
  range: { bad: 'b'.repeat(40), goods: ['a'.repeat(40)], firstParent: false, commits: 3 },
  submittedBy: 'ci',
  createdAt: new Date(Date.now() + Number(id.slice(1))).toISOString(),
});

describe('the journal', () => {
  it('records a verdict only at the index the writer expects, so two writers never both record step n', async () => {
    const id = 'journal-race';
    await stores.journals.append(id, 0, entry('c0'));
    // Two coordinators (one stale) decided step 1 at the same time: exactly one wins.
    const results = await Promise.allSettled([
      stores.journals.append(id, 1, entry('c1', 'bad')),
      stores.journals.append(id, 1, entry('c1', 'good')),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(JournalConflict);
    expect(lost.reason).toMatchObject({ expectedLength: 1, actualLength: 2 });
    expect((await stores.journals.read(id)).map((e) => e.commit)).toEqual(['c0', 'c1']);
  });

  it('refuses a writer that is behind, and one that skips ahead', async () => {
    const id = 'journal-order';
    await stores.journals.append(id, 0, entry('c0'));
    await expect(stores.journals.append(id, 0, entry('again'))).rejects.toBeInstanceOf(
      JournalConflict,
    );
    await expect(stores.journals.append(id, 5, entry('ahead'))).rejects.toBeInstanceOf(
      JournalConflict,
    );
    expect(await stores.journals.length(id)).toBe(1);
  });

  it("records a round's entries together in their order, or none of them when the length moved", async () => {
    const id = 'journal-round';
    await stores.journals.append(id, 0, entry('c0'));
    const round = [entry('r1', 'bad'), entry('r2', 'good'), entry('r3', 'bad')].map((e) => ({
      ...e,
      round: 1,
    }));
    // A stale writer that missed c0 records nothing of its round.
    await expect(stores.journals.append(id, 0, ...round)).rejects.toBeInstanceOf(JournalConflict);
    expect(await stores.journals.length(id)).toBe(1);
    await stores.journals.append(id, 1, ...round);
    const journal = await stores.journals.read(id);
    expect(journal.map((e) => [e.commit, e.round])).toEqual([
      ['c0', undefined],
      ['r1', 1],
      ['r2', 1],
      ['r3', 1],
    ]);
    await expect(stores.journals.append(id, 1, entry('late'))).rejects.toMatchObject({
      expectedLength: 1,
      actualLength: 4,
    });
  });

  it('appends a manual mark at the end whatever the length', async () => {
    const id = 'journal-manual';
    await stores.journals.append(id, 0, entry('c0'));
    expect(await stores.journals.appendLast(id, { ...entry('m'), source: 'manual' })).toBe(1);
    expect((await stores.journals.read(id)).at(-1)?.source).toBe('manual');
  });
});

describe('bisect records', () => {
  it('never leave a terminal status: a cancel that won stays, and status counts follow', async () => {
    await stores.bisects.create(record('b1'));
    expect(await stores.bisects.setStatus('b1', 'running', ['queued'])).toBe(true);
    expect(await stores.bisects.finish('b1', 'cancelled')).toBe(true);
    expect(await stores.bisects.setStatus('b1', 'running', ['queued', 'running'])).toBe(false);
    expect(await stores.bisects.finish('b1', 'found')).toBe(false);
    const stored = await stores.bisects.get('b1');
    expect(stored?.status).toBe('cancelled');
    expect(stored?.finishedAt).toBeDefined();
    const counts = await stores.bisects.countByStatus();
    expect(counts.cancelled).toBe(1);
    expect(counts.running).toBe(0);
  });

  it('do not let a late progress write re-create a deleted bisect', async () => {
    expect(await stores.bisects.update('gone', { cancelRequested: true })).toBe(false);
    expect(await stores.bisects.get('gone')).toBeUndefined();
  });

  it('list newest first, filter by label and status, and page with a cursor', async () => {
    for (let i = 10; i < 17; i++) {
      await stores.bisects.create(record(`b${i}`, { team: i % 2 ? 'net' : 'mm' }));
    }
    const first = await stores.bisects.list({ label: { key: 'team', value: 'net' }, limit: 2 });
    expect(first.bisects.map((b) => b.id)).toEqual(['b15', 'b13']);
    const second = await stores.bisects.list({
      label: { key: 'team', value: 'net' },
      limit: 2,
      cursor: first.next as number,
    });
    expect(second.bisects.map((b) => b.id)).toEqual(['b11']);
    expect(second.next).toBeUndefined();
    const queued = await stores.bisects.list({ status: 'queued', limit: 100 });
    expect(queued.bisects.map((b) => b.id)).not.toContain('b1');
  });
});

describe('the event stream', () => {
  it('keeps events in order and reads them after an id, exclusively', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await stores.events.append('ev', 'log', { i })) as string);
    const after = await stores.events.range('ev', ids[1]);
    expect(after.map((e) => (e.data as { i: number }).i)).toEqual([2, 3, 4]);
    expect(await stores.events.lastId('ev')).toBe(ids[4]);
  });
});

describe('the watch run lease', () => {
  /** An attempt of a run: the first unless said (the job run again gets another lock token). */
  const at = (runId: string, attemptId = 'first') => ({ runId, attemptId });

  it('lets one run of a watch hold it, re-attaches the same run, and frees it only for its holder', async () => {
    const lease = stores.watchRuns;
    expect(await lease.acquire('w1', at('run-a'), 10_000)).toBeUndefined();
    // Another run of the same watch is told who holds it; another watch is not affected.
    expect(await lease.acquire('w1', at('run-b'), 10_000)).toBe('run-a');
    expect(await lease.acquire('w2', at('run-b'), 10_000)).toBeUndefined();
    // The same run again (handed back at shutdown, or after a crash) keeps it.
    expect(await lease.acquire('w1', at('run-a'), 10_000)).toBeUndefined();
    await expect(lease.renew('w1', at('run-b'), 10_000)).rejects.toThrow(WatchRunLeaseLost);
    expect(await lease.release('w1', at('run-b'))).toBe(false);
    expect(await lease.holder('w1')).toBe('run-a');
    await lease.renew('w1', at('run-a'), 10_000);
    expect(await lease.release('w1', at('run-a'))).toBe(true);
    expect(await lease.holder('w1')).toBeUndefined();
    expect(await lease.acquire('w1', at('run-b'), 10_000)).toBeUndefined();
  });

  it('belongs to the newest attempt of a run: a stale attempt can neither renew nor release it', async () => {
    const lease = stores.watchRuns;
    const stale = at('run-s', 'worker-1:7');
    const fresh = at('run-s', 'worker-2:3');
    expect(await lease.acquire('w6', stale, 10_000)).toBeUndefined();
    // The job run again elsewhere (the first worker stalled past its lock) re-attaches.
    expect(await lease.acquire('w6', fresh, 10_000)).toBeUndefined();
    expect(await lease.holds('w6', fresh)).toBe(true);
    expect(await lease.holds('w6', stale)).toBe(false);
    // The stale attempt, running again, finds the lease lost, and its cleanup frees nothing.
    const lost = await lease.renew('w6', stale, 10_000).catch((error: unknown) => error);
    expect(lost).toBeInstanceOf(WatchRunLeaseLost);
    expect((lost as WatchRunLeaseLost).holder).toBe('run-s/worker-2:3');
    expect(await lease.release('w6', stale)).toBe(false);
    expect(await lease.holder('w6')).toBe('run-s');
    expect(await lease.holds('w6', fresh)).toBe(true);
    // So another run still waits for the new attempt, which renews and frees it.
    expect(await lease.acquire('w6', at('run-t'), 10_000)).toBe('run-s');
    await lease.renew('w6', fresh, 10_000);
    expect(await lease.release('w6', fresh)).toBe(true);
    expect(await lease.acquire('w6', at('run-t'), 10_000)).toBeUndefined();
  });

  it('finds the lease lost when it expired, and a run again takes over an expired one', async () => {
    const lease = stores.watchRuns;
    expect(await lease.acquire('w7', at('run-x', 'one'), 200)).toBeUndefined();
    await new Promise((r) => setTimeout(r, 300));
    const lost = await lease.renew('w7', at('run-x', 'one'), 10_000).catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(WatchRunLeaseLost);
    expect((lost as WatchRunLeaseLost).holder).toBeUndefined();
    expect(await lease.acquire('w7', at('run-x', 'two'), 10_000)).toBeUndefined();
    expect(await lease.holds('w7', at('run-x', 'two'))).toBe(true);
  });

  it('re-attaches a run to a lease written before attempts (the bare run id)', async () => {
    const lease = stores.watchRuns;
    await redis.set(`${prefix}:watch:w8:running`, 'run-old', 'PX', 10_000);
    expect(await lease.acquire('w8', at('run-new'), 10_000)).toBe('run-old');
    expect(await lease.acquire('w8', at('run-old'), 10_000)).toBeUndefined();
    expect(await lease.holds('w8', at('run-old'))).toBe(true);
  });

  it('goes to the waiting runs in the order they were due, not to whoever asks first', async () => {
    const lease = stores.watchRuns;
    expect(await lease.acquire('w4', at('run-1'), 10_000, { due: 1000 })).toBeUndefined();
    // A scheduled tick waits; then a "run now" comes; both ask again while run 1 still runs.
    expect(
      await lease.acquire('w4', at('tick-2'), 10_000, { due: 2000, trigger: 'schedule' }),
    ).toBe('run-1');
    expect(await lease.acquire('w4', at('now-3'), 10_000, { due: 3000 })).toBe('run-1');
    await lease.release('w4', at('run-1'));
    // The run asked for later asks first once the lease is free: the tick was due first.
    expect(await lease.acquire('w4', at('now-3'), 10_000, { due: 3000 })).toBe('tick-2');
    expect(
      await lease.acquire('w4', at('tick-2'), 10_000, { due: 2000, trigger: 'schedule' }),
    ).toBe(undefined);
    await lease.release('w4', at('tick-2'));
    expect(await lease.acquire('w4', at('now-3'), 10_000, { due: 3000 })).toBeUndefined();
  });

  it('lets one waiting scheduled run stand for the ticks that come while it waits', async () => {
    const lease = stores.watchRuns;
    const tick = (run: string, due: number) =>
      lease.acquire('w5', at(run), 10_000, { due, trigger: 'schedule' });
    expect(await tick('tick-1', 1000)).toBeUndefined();
    expect(await tick('tick-2', 2000)).toBe('tick-1');
    // Ticks 3 and 4 are covered by tick 2, which will measure the tip after tick 1.
    expect(await tick('tick-3', 3000)).toBe(COALESCED);
    expect(await tick('tick-4', 4000)).toBe(COALESCED);
    // A manual run is never coalesced; it waits its turn.
    expect(await lease.acquire('w5', at('now-5'), 10_000, { due: 5000 })).toBe('tick-1');
    // The waiting tick keeps its place when it asks again.
    expect(await tick('tick-2', 2000)).toBe('tick-1');
    await lease.release('w5', at('tick-1'));
    expect(await tick('tick-2', 2000)).toBeUndefined();
    // Once tick 2 runs, the next tick waits again instead of being coalesced.
    expect(await tick('tick-6', 6000)).toBe('tick-2');
  });

  it('expires on its own when its worker died without releasing it', async () => {
    expect(await stores.watchRuns.acquire('w3', at('run-dead'), 200)).toBeUndefined();
    await new Promise((r) => setTimeout(r, 300));
    expect(await stores.watchRuns.acquire('w3', at('run-next'), 10_000)).toBeUndefined();
  });
});
