import type { WatchRecord, WatchRun } from '@kbisect/contracts';
import type { Redis } from 'ioredis';
import { LuaScript } from '../store/lua-script.js';

/**
 * A run is written only while its watch exists: a run that ends after DELETE would otherwise
 * re-create the history keys of a watch that is gone, keys nothing would ever remove.
 */
const PUT_RUN = new LuaScript(
  `if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
   local created = redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
   if created == 1 then redis.call('RPUSH', KEYS[3], ARGV[1]) end
   return created`,
  3,
);

type LastGoodValue = NonNullable<WatchRecord['lastGood']>;

/**
 * Watches and their runs. A watch is one JSON value; its runs are a hash (run id → JSON, so
 * a run updated as it goes never rewrites the others) and a list of run ids, oldest first.
 * The schedule itself is BullMQ's job scheduler of the watch queue, not kept here.
 */
export class WatchStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  #watch = (id: string) => `${this.prefix}:watch:${id}`;
  #runs = (id: string) => `${this.prefix}:watch:${id}:runs`;
  #order = (id: string) => `${this.prefix}:watch:${id}:run-order`;
  get #index() {
    return `${this.prefix}:watches`;
  }

  async create(record: WatchRecord): Promise<void> {
    await this.redis
      .multi()
      .set(this.#watch(record.id), JSON.stringify(record))
      .zadd(this.#index, Date.parse(record.createdAt), record.id)
      .exec();
  }

  async get(id: string): Promise<WatchRecord | undefined> {
    const text = await this.redis.get(this.#watch(id));
    return text ? (JSON.parse(text) as WatchRecord) : undefined;
  }

  /** Writes the record if the watch still exists (a run never re-creates a deleted watch). */
  async put(record: WatchRecord): Promise<boolean> {
    const done = await this.redis.set(this.#watch(record.id), JSON.stringify(record), 'XX');
    return done === 'OK';
  }

  async setLastGood(id: string, lastGood: LastGoodValue): Promise<void> {
    const record = await this.get(id);
    if (!record) return;
    await this.put({ ...record, lastGood });
  }

  /** Newest first. */
  async list(limit = 200): Promise<WatchRecord[]> {
    const ids = await this.redis.zrevrange(this.#index, 0, limit - 1);
    if (ids.length === 0) return [];
    const texts = await this.redis.mget(ids.map(this.#watch));
    return texts.filter((t): t is string => t !== null).map((t) => JSON.parse(t) as WatchRecord);
  }

  async delete(id: string): Promise<boolean> {
    const [[, removed] = []] =
      (await this.redis
        .multi()
        .del(this.#watch(id))
        .zrem(this.#index, id)
        .del(this.#runs(id), this.#order(id))
        .exec()) ?? [];
    return removed === 1;
  }

  /**
   * Creates or replaces a run; a new run id goes to the end of the history. False when the
   * watch was deleted (nothing is written then).
   */
  async putRun(run: WatchRun): Promise<boolean> {
    const created = await PUT_RUN.run(
      this.redis,
      [this.#watch(run.watchId), this.#runs(run.watchId), this.#order(run.watchId)],
      [run.id, JSON.stringify(run)],
    );
    return created !== -1;
  }

  async getRun(watchId: string, runId: string): Promise<WatchRun | undefined> {
    const text = await this.redis.hget(this.#runs(watchId), runId);
    return text ? (JSON.parse(text) as WatchRun) : undefined;
  }

  /** The history, newest first. */
  async runs(watchId: string, limit = 100): Promise<WatchRun[]> {
    const ids = await this.redis.lrange(this.#order(watchId), -limit, -1);
    if (ids.length === 0) return [];
    const texts = await this.redis.hmget(this.#runs(watchId), ...ids);
    return texts
      .filter((t): t is string => t !== null)
      .map((t) => JSON.parse(t) as WatchRun)
      .reverse();
  }
}
