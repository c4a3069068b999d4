import type { Redis } from 'ioredis';
import { WatchRunLeaseLost } from '../errors/watch-run-lease-lost.js';
import { LuaScript } from '../store/lua-script.js';

/** What `acquire` answers a scheduled run that another waiting scheduled run stands for. */
export const COALESCED = '~coalesced';

/**
 * The lease names the attempt that holds it, `run/attempt`: a run is one watch job, and its
 * job may be run twice at once (its worker stalled past its BullMQ lock, and another worker
 * runs the job again while the stale attempt still goes on). Only the exact attempt holding
 * it renews or releases it; a stale attempt's release does nothing and its renew finds it
 * lost. Run ids have no '/' (runIdOf); a value without one (written before attempts) is a run.
 */
const RUN_OF_HOLDER = `local function run_of(holder) return holder and string.match(holder, '^[^/]*') end`;

/**
 * Takes the lease for an attempt of a run. The same run takes it over, under this attempt,
 * when another attempt of it holds it (a run handed back at shutdown, or run again after a
 * crash or a stall past its lock, re-attaches: the newest attempt of a job is the one that
 * counts). Runs that find it taken wait in order (KEYS[2], scored by when they were due): the
 * lease goes to the first of them, so a run that waited is not overtaken by runs due after it. A scheduled run that finds another
 * scheduled run already waiting is not queued (COALESCED): as with the ticks a stopped worker
 * missed, one run stands for them all, and a watch whose runs outlast its interval does not
 * grow a backlog that a "run now" would wait behind forever. Returns the run that holds the
 * lease or goes first, or COALESCED.
 *
 * KEYS: lease, waiting (sorted set run → due), seen (hash run → last attempt ms), ticks (set
 * of the waiting runs that are scheduled).
 * ARGV: run id, attempt id, lease ttl ms, due, now ms, ms after which a waiter that stopped
 * asking is dropped, 'schedule' or 'manual'.
 */
const ACQUIRE = new LuaScript(
  `${RUN_OF_HOLDER}
   local run, attempt, ttl, due, now, stale, kind = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]
   local holder = run_of(redis.call('GET', KEYS[1]))
   if holder == run then
     redis.call('SET', KEYS[1], run .. '/' .. attempt, 'PX', ttl)
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
   redis.call('SET', KEYS[1], run .. '/' .. attempt, 'PX', ttl)
   return run`,
  4,
);

/** A waiting run that has not asked again for this long is taken for gone (it asks every ~2 s). */
const WAITER_STALE_MS = 30_000;

/**
 * Extends the lease only for the attempt that holds it (ARGV[1], `run/attempt`): 1 if it
 * did, else what holds it now ('' for no one), for `WatchRunLeaseLost`.
 */
const RENEW = new LuaScript(
  `local holder = redis.call('GET', KEYS[1])
   if holder ~= ARGV[1] then return holder or '' end
   return redis.call('PEXPIRE', KEYS[1], ARGV[2])`,
  1,
);
/** Ends the lease only for the attempt that holds it: 1 if it did, 0 if not. */
const RELEASE = new LuaScript(
  `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
   return redis.call('DEL', KEYS[1])`,
  1,
);

/** One attempt of a watch run: the run's id and an id of this attempt (the job's lock token). */
export interface WatchRunAttempt {
  runId: string;
  attemptId: string;
}

const holderOf = ({ runId, attemptId }: WatchRunAttempt) => `${runId}/${attemptId}`;

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
   * Takes the lease for this attempt of its run; returns the id of the run that holds it or
   * goes first, `COALESCED` for a scheduled run another waiting one stands for, or undefined
   * when this attempt has the lease (taken over from an earlier attempt of the same run, if
   * one held it). `due` orders the waiting runs: when the run was due, earliest first.
   */
  async acquire(
    watchId: string,
    attempt: WatchRunAttempt,
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
        [attempt.runId, attempt.attemptId, ttlMs, due, Date.now(), WAITER_STALE_MS, trigger],
      ),
    );
    return holder === attempt.runId ? undefined : holder;
  }

  /**
   * Extends the lease of this attempt, or throws `WatchRunLeaseLost` when it no longer holds
   * it (it expired while the worker stalled, and another attempt or run took it).
   */
  async renew(watchId: string, attempt: WatchRunAttempt, ttlMs: number): Promise<void> {
    const answer = await RENEW.run(this.redis, [this.#key(watchId)], [holderOf(attempt), ttlMs]);
    if (Number(answer) === 1) return;
    const holder = String(answer) || undefined;
    throw new WatchRunLeaseLost(watchId, attempt.runId, attempt.attemptId, holder);
  }

  /** Ends the lease if this attempt holds it (a stale attempt's release does nothing). */
  async release(watchId: string, attempt: WatchRunAttempt): Promise<boolean> {
    const released = await RELEASE.run(this.redis, [this.#key(watchId)], [holderOf(attempt)]);
    return Number(released) === 1;
  }

  /** Whether this attempt holds the lease now. */
  async holds(watchId: string, attempt: WatchRunAttempt): Promise<boolean> {
    return (await this.redis.get(this.#key(watchId))) === holderOf(attempt);
  }

  /** The run holding the lease now, if any. */
  async holder(watchId: string): Promise<string | undefined> {
    const value = await this.redis.get(this.#key(watchId));
    return value?.split('/')[0];
  }
}
