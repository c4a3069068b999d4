import type { Redis } from 'ioredis';
import { LuaScript } from '../store/lua-script.js';

/**
 * Takes the lease for a run, or keeps it when this run holds it already (a run handed back
 * at shutdown, or run again after a crash, re-attaches). Returns the holder's run id.
 */
const ACQUIRE = new LuaScript(
  `local holder = redis.call('GET', KEYS[1])
   if holder and holder ~= ARGV[1] then return holder end
   redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
   return ARGV[1]`,
  1,
);

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

  /** Takes the lease for `runId`; returns the id of another run holding it, or undefined. */
  async acquire(watchId: string, runId: string, ttlMs: number): Promise<string | undefined> {
    const holder = String(await ACQUIRE.run(this.redis, [this.#key(watchId)], [runId, ttlMs]));
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
