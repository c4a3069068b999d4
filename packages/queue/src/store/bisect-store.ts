import {
  BISECT_STATUSES,
  type BisectRecord,
  type BisectStatus,
  TERMINAL_STATUSES,
} from '@kbisect/contracts';
import type { Redis } from 'ioredis';
import type { Keys } from '../keys.js';
import { LuaScript } from './lua-script.js';

/**
 * Moves a bisect to a new status if it is in one of the allowed ones, and keeps the
 * per-status index sets in step, atomically. A cancel that won cannot be undone by a
 * coordinator that writes "running" a moment later.
 * KEYS: record, set of the new status, sets of every status.
 * ARGV: id, new status (JSON), allowed statuses (comma list), then field/value pairs.
 */
const SET_STATUS = new LuaScript(
  `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local current = cjson.decode(redis.call('HGET', KEYS[1], 'status'))
local allowed = false
for s in string.gmatch(ARGV[3], '[^,]+') do
  if s == current then allowed = true end
end
if not allowed then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[2])
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
for i = 3, #KEYS do redis.call('SREM', KEYS[i], ARGV[1]) end
redis.call('SADD', KEYS[2], ARGV[1])
return 1
`,
  2 + BISECT_STATUSES.length,
);

/** HSET on a record that exists; a late write never re-creates a deleted bisect. */
const UPDATE = new LuaScript(
  `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
for i = 1, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1
`,
  1,
);

/**
 * Opens an ended bisect again: `error` → `queued`, its result and end time dropped, the
 * status sets moved, atomically (two resumes at once: one wins). The journal is not touched.
 * KEYS: record, set of `queued`, set of `error`. ARGV: id, the status it must be in (JSON).
 */
const REOPEN = new LuaScript(
  `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HGET', KEYS[1], 'status') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'status', cjson.encode('queued'))
redis.call('HDEL', KEYS[1], 'result', 'finishedAt', 'commits', 'progress')
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[1])
return 1
`,
  3,
);

type Fields = Partial<Omit<BisectRecord, 'id' | 'status'>>;

export interface ListOptions {
  status?: BisectStatus;
  /** `key=value`: only bisects with this label. */
  label?: { key: string; value: string };
  limit: number;
  /** Position in the newest-first order, from the previous page's `next`. */
  cursor?: number;
}

export interface ListPage {
  bisects: BisectRecord[];
  /** Pass as `cursor` for the next page; absent on the last page. */
  next?: number;
}

/** Pages scanned per list call at most, so a filter that matches nothing stays cheap. */
const LIST_SCAN_LIMIT = 5000;
const LIST_CHUNK = 100;

/**
 * Bisect records: a hash per bisect (one JSON value per field, so the coordinator's progress
 * and the API's cancel flag never overwrite each other), a creation-time index for listing,
 * and a set per status for counts.
 */
export class BisectStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async create(record: BisectRecord): Promise<void> {
    const { id, status } = record;
    await this.redis
      .multi()
      .hset(this.keys.bisect(id), encode(record))
      .zadd(this.keys.bisects, Date.parse(record.createdAt), id)
      .sadd(this.keys.status(status), id)
      .exec();
  }

  async get(id: string): Promise<BisectRecord | undefined> {
    return decode(await this.redis.hgetall(this.keys.bisect(id)));
  }

  /**
   * Moves the bisect to `to` when its status is one of `from`. Resolves false when it is not
   * (e.g. already cancelled); throws nothing for a missing bisect, which also resolves false.
   */
  async setStatus(
    id: string,
    to: BisectStatus,
    from: readonly BisectStatus[],
    fields: Fields = {},
  ): Promise<boolean> {
    const pairs = Object.entries(encode(fields)).flat();
    const result = await SET_STATUS.run(
      this.redis,
      [
        this.keys.bisect(id),
        this.keys.status(to),
        ...BISECT_STATUSES.map((s) => this.keys.status(s)),
      ],
      [id, JSON.stringify(to), from.join(','), ...pairs],
    );
    return result === 1;
  }

  /** Ends the bisect in a terminal status unless it already ended. */
  finish(id: string, to: BisectStatus, fields: Fields = {}): Promise<boolean> {
    const open = BISECT_STATUSES.filter((s) => !TERMINAL_STATUSES.includes(s));
    return this.setStatus(id, to, open, { ...fields, finishedAt: new Date().toISOString() });
  }

  /**
   * An `error` bisect back to `queued`, to be run again from its journal. Resolves false when
   * the bisect is missing or not in `error` (resumed already, or ended otherwise).
   */
  async reopen(id: string): Promise<boolean> {
    const result = await REOPEN.run(
      this.redis,
      [this.keys.bisect(id), this.keys.status('queued'), this.keys.status('error')],
      [id, JSON.stringify('error')],
    );
    return result === 1;
  }

  async update(id: string, fields: Fields): Promise<boolean> {
    const pairs = Object.entries(encode(fields)).flat();
    if (pairs.length === 0) return true;
    return (await UPDATE.run(this.redis, [this.keys.bisect(id)], pairs)) === 1;
  }

  async list({ status, label, limit, cursor = 0 }: ListOptions): Promise<ListPage> {
    const bisects: BisectRecord[] = [];
    let offset = cursor;
    const end = cursor + LIST_SCAN_LIMIT;
    while (bisects.length < limit && offset < end) {
      const ids = await this.redis.zrevrange(this.keys.bisects, offset, offset + LIST_CHUNK - 1);
      if (ids.length === 0) return { bisects };
      const pipeline = this.redis.pipeline();
      for (const id of ids) pipeline.hgetall(this.keys.bisect(id));
      const replies = (await pipeline.exec()) ?? [];
      for (const [i, [, hash]] of replies.entries()) {
        const record = decode(hash as Record<string, string>);
        if (!record) continue;
        if (status && record.status !== status) continue;
        if (label && record.spec.labels?.[label.key] !== label.value) continue;
        bisects.push(record);
        if (bisects.length === limit) return { bisects, next: offset + i + 1 };
      }
      offset += ids.length;
      if (ids.length < LIST_CHUNK) return { bisects };
    }
    return offset < end ? { bisects } : { bisects, next: offset };
  }

  /** Ids of the bisects in one status (the index set; for reconciling, not for listing). */
  idsWithStatus(status: BisectStatus): Promise<string[]> {
    return this.redis.smembers(this.keys.status(status));
  }

  async countByStatus(): Promise<Record<BisectStatus, number>> {
    const pipeline = this.redis.pipeline();
    for (const status of BISECT_STATUSES) pipeline.scard(this.keys.status(status));
    const replies = (await pipeline.exec()) ?? [];
    return Object.fromEntries(
      BISECT_STATUSES.map((status, i) => [status, Number(replies[i]?.[1] ?? 0)]),
    ) as Record<BisectStatus, number>;
  }
}

function encode(fields: object): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) out[key] = JSON.stringify(value);
  }
  return out;
}

function decode(hash: Record<string, string>): BisectRecord | undefined {
  if (!hash.id) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(hash)) out[key] = JSON.parse(value);
  return out as unknown as BisectRecord;
}
