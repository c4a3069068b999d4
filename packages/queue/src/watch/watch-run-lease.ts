import type { Redis } from 'ioredis';
import { LuaScript } from '../store/lua-script.js';

/** What `acquire` answers a scheduled run that another waiting scheduled run stands for. */
export const COALESCED = '~coalesced';

/**
 * Takes the lease for a run, or keeps it when this run holds it already (a run handed back
 * at shutdown, or run again after a crash, re-attaches). Runs that find it taken wait in
 * order (KEYS[2], scored by when they were due): the lease goes to the first of them, so a
 * run that waited is not overtaken by runs due after it. A scheduled run that finds another
 * scheduled run already waiting is not queued (COALESCED): as with the ticks a stopped worker
 * missed, one run stands for them all, and a watch whose runs outlast its interval does not
 * grow a backlog that a "run now" would wait behind forever. Returns the run that holds the
 * lease or goes first, or COALESCED.
 *
 * KEYS: lease, waiting (sorted set run → due), seen (hash run → last attempt ms), ticks (set
 * of the waiting runs that are scheduled).
 * ARGV: run id, lease ttl ms, due, now ms, ms after which a waiter that stopped asking is
 * dropped, 'schedule' or 'manual'.
 */
const ACQUIRE = new LuaScript(
  `local run, ttl, due, now, stale, kind = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
   local holder = redis.call('GET', KEYS[1])
   if holder == run then
     redis.call('PEXPIRE', KEYS[1], ttl)
     return run
   end
   -- A waiter whose job is gone (deleted watch, removed job) must not block the others; one
   -- still alive asks again and takes back its place, its score being when it was due.
   for _, waiter in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
     local seen = tonumber(redis.call('HGET', KEYS[3], waiter) or '0')
     if waiter ~= run and seen < now - stale then
       redis.call('ZREM', KEYS[2], waiter)
       redis.call('HDEL', KEYS[3], waiter)
       redis.call('SREM', KEYS[4], waiter)
     end
   end
   local queued = redis.call('ZSCORE', KEYS[2], run)
   if not queued and kind == 'schedule' and (holder or redis.call('ZCARD', KEYS[2]) > 0) then
     for _, tick in ipairs(redis.call('SMEMBERS', KEYS[4])) do
       if tick ~= run then return '${COALESCED}' end
     end
   end
   redis.call('ZADD', KEYS[2], 'NX', due, run)
   redis.call('HSET', KEYS[3], run, now)
   if kind == 'schedule' then redis.call('SADD', KEYS[4], run) end
   for i = 2, 4 do redis.call('PEXPIRE', KEYS[i], 86400000) end
   if holder then return holder end
   local first = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
   if first ~= run then return first end
   redis.call('ZREM', KEYS[2], run)
   redis.call('HDEL', KEYS[3], run)
   redis.call('SREM', KEYS[4], run)
   redis.call('SET', KEYS[1], run, 'PX', ttl)
   return run`,
  4,
);

/** A waiting run that has not asked again for this long is taken for gone (it asks every ~2 s). */
const WAITER_STALE_MS = 30_000;

/** Extends or ends the lease only for the run that holds it: 1 if it did, 0 if not. */
const RENEW = new LuaScript(
  `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
   return redis.call('PEXPIRE', KEYS[1], ARGV[2])`,
  1,
);
const RELEASE = new LuaScript(
  `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
   return redis.call('DEL', KEYS[1])`,
  1,
);

/**
 * One run at a time per watch, whatever the number of workers: each run compares its tip
 * with the last good run, so two runs of one watch side by side would judge against a
 * baseline the other is still writing. Runs of different watches go side by side. The lease
 * expires on its own when its worker dies without releasing it.
 */
export class WatchRunLease {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  #key = (watchId: string) => `${this.prefix}:watch:${watchId}:running`;

  /**
   * Takes the lease for `runId`; returns the id of the run that holds it or goes first,
   * `COALESCED` for a scheduled run another waiting one stands for, or undefined when this run
   * has the lease. `due` orders the waiting runs: when the run was due, earliest first.
   */
  async acquire(
    watchId: string,
    runId: string,
    ttlMs: number,
    {
      due = Date.now(),
      trigger = 'manual',
    }: { due?: number; trigger?: 'schedule' | 'manual' } = {},
  ): Promise<string | undefined> {
    const key = this.#key(watchId);
    const holder = String(
      await ACQUIRE.run(
        this.redis,
        [key, `${key}:waiting`, `${key}:waiting-seen`, `${key}:waiting-ticks`],
        [runId, ttlMs, due, Date.now(), WAITER_STALE_MS, trigger],
      ),
    );
    return holder === runId ? undefined : holder;
  }

  /** False when the lease was lost (expired while the worker stalled, and taken by another). */
  async renew(watchId: string, runId: string, ttlMs: number): Promise<boolean> {
    return Number(await RENEW.run(this.redis, [this.#key(watchId)], [runId, ttlMs])) === 1;
  }

  async release(watchId: string, runId: string): Promise<void> {
    await RELEASE.run(this.redis, [this.#key(watchId)], [runId]);
  }

  /** The run holding the lease now, if any. */
  async holder(watchId: string): Promise<string | undefined> {
    return (await this.redis.get(this.#key(watchId))) ?? undefined;
  }
}
