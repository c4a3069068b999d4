import type { Redis } from 'ioredis';
import type { Keys } from '../keys.js';

/** What a bisect's event stream carries; SSE sends `type` as the event name. */
export type BisectEventType =
  /** A pino log line of the bisect, as JSON. */
  | 'log'
  /** The record's status changed. */
  | 'status'
  /** A step of the loop: step, build, sample, verdict (the core's BisectEvent). */
  | 'progress'
  /** The result object, once. */
  | 'result'
  /** Nothing follows: followers can stop. */
  | 'end';

export interface StreamEvent {
  /** The Redis stream id: SSE's event id, and Last-Event-ID to resume after it. */
  id: string;
  type: BisectEventType;
  data: unknown;
}

/** Stream ids are `ms-seq`; this orders them without losing precision. */
export function compareStreamIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  const ms = BigInt(am) - BigInt(bm);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const seq = BigInt(as) - BigInt(bs);
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
}

export const STREAM_ID = /^\d{1,20}-\d{1,20}$/;

/**
 * The per-bisect event stream: every log line and state change, in order, bounded to about
 * `maxLen` entries (XADD MAXLEN ~) so a chatty bisect cannot fill Redis.
 */
export class EventStream {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly maxLen: number,
  ) {}

  append(bisectId: string, type: BisectEventType, data: unknown): Promise<string | null> {
    return this.redis.xadd(
      this.keys.events(bisectId),
      'MAXLEN',
      '~',
      this.maxLen,
      '*',
      'type',
      type,
      'data',
      JSON.stringify(data),
    );
  }

  /** Events after `afterId` (exclusive; from the start when absent), oldest first. */
  async range(bisectId: string, afterId?: string, count = 1000): Promise<StreamEvent[]> {
    const start = afterId ? `(${afterId}` : '-';
    const entries = await this.redis.xrange(this.keys.events(bisectId), start, '+', 'COUNT', count);
    return entries.map(([id, fields]) => toEvent(id, fields));
  }

  /**
   * Blocks up to `blockMs` for events after `afterId` ('$' = only new ones). Needs a
   * connection of its own: a blocked connection serves nothing else.
   */
  async read(
    connection: Redis,
    bisectId: string,
    afterId: string,
    blockMs: number,
  ): Promise<StreamEvent[]> {
    const reply = await connection.xread(
      'COUNT',
      1000,
      'BLOCK',
      blockMs,
      'STREAMS',
      this.keys.events(bisectId),
      afterId,
    );
    if (!reply) return [];
    return reply.flatMap(([, entries]) => entries.map(([id, fields]) => toEvent(id, fields)));
  }

  /** The id of the newest event, or undefined for an empty stream. */
  async lastId(bisectId: string): Promise<string | undefined> {
    const [last] = await this.redis.xrevrange(this.keys.events(bisectId), '+', '-', 'COUNT', 1);
    return last?.[0];
  }
}

function toEvent(id: string, fields: string[]): StreamEvent {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2)
    map.set(fields[i] as string, fields[i + 1] as string);
  return {
    id,
    type: (map.get('type') ?? 'log') as BisectEventType,
    data: JSON.parse(map.get('data') ?? 'null'),
  };
}
