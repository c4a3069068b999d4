import type { JournalEntry } from '@kbisect/core';
import type { Redis } from 'ioredis';
import { JournalConflict } from '../errors/journal-conflict.js';
import type { Keys } from '../keys.js';
import { LuaScript } from './lua-script.js';

/**
 * RPUSH only when the list has exactly the expected length: the optimistic check that lets
 * a restarted coordinator (or a stale one still running) never record a verdict twice. Every
 * entry after ARGV[1] goes in the one call: a round of several commits is recorded whole or
 * not at all, so a crash never leaves half a round to be completed differently.
 * Returns the new length, or -(current length) - 1 on a conflict.
 */
const APPEND = new LuaScript(
  `
local length = redis.call('LLEN', KEYS[1])
if length ~= tonumber(ARGV[1]) then return -length - 1 end
return redis.call('RPUSH', KEYS[1], unpack(ARGV, 2))
`,
  1,
);

/** The verdict journal of each bisect: an append-only Redis list, the only bisect state. */
export class JournalStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async read(id: string): Promise<JournalEntry[]> {
    const items = await this.redis.lrange(this.keys.journal(id), 0, -1);
    return items.map((item) => JSON.parse(item) as JournalEntry);
  }

  length(id: string): Promise<number> {
    return this.redis.llen(this.keys.journal(id));
  }

  /**
   * Appends the entries as entry number `index` (0-based) and on, all or none (a round's
   * entries together), or throws `JournalConflict`.
   */
  async append(id: string, index: number, ...entries: JournalEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const items = entries.map((entry) => JSON.stringify(entry));
    const result = Number(await APPEND.run(this.redis, [this.keys.journal(id)], [index, ...items]));
    if (result < 0) throw new JournalConflict(id, index, -result - 1);
  }

  /**
   * Appends at the end whatever the length: a person's mark does not depend on what the
   * oracle recorded meanwhile. Returns the entry's index.
   */
  async appendLast(id: string, entry: JournalEntry): Promise<number> {
    for (;;) {
      const index = await this.length(id);
      try {
        await this.append(id, index, entry);
        return index;
      } catch (error) {
        if (!(error instanceof JournalConflict)) throw error;
      }
    }
  }
}
