import {
  compareStreamIds,
  type EventStream,
  type StreamEvent,
  WAIT_OUT_OUTAGES,
} from '@kbisect/queue';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

type Deliver = (events: StreamEvent[]) => void;

interface Follower {
  deliver: Deliver;
  /** Events the tail read while the follower was still catching up from the stream. */
  backlog: StreamEvent[] | undefined;
  lastSent: string | undefined;
}

interface Tail {
  followers: Set<Follower>;
  connection: Redis;
  /** Set when its read loop has ended: a follower that finds it must start a new one. */
  stopped: boolean;
}

/** How long one blocking read waits before it looks whether anyone still follows. */
const BLOCK_MS = 2000;

/**
 * Fans a bisect's event stream out to its followers: one blocking XREAD per followed bisect,
 * however many SSE clients follow it. A new follower catches up with XRANGE from its
 * Last-Event-ID, having joined the tail first, so no event falls between the two reads and
 * none is sent twice.
 */
export class EventHub {
  readonly #tails = new Map<string, Tail>();
  #closed = false;

  constructor(
    private readonly events: EventStream,
    private readonly redis: Redis,
    private readonly log: Logger,
  ) {}

  /** Delivers the events after `afterId` (all, when absent), then new ones as they come. */
  async follow(
    bisectId: string,
    afterId: string | undefined,
    deliver: Deliver,
  ): Promise<() => void> {
    const follower: Follower = { deliver, backlog: [], lastSent: afterId };
    let tail = await this.#tail(bisectId);
    while (tail.stopped) tail = await this.#tail(bisectId);
    tail.followers.add(follower);
    const stop = () => {
      tail.followers.delete(follower);
    };
    try {
      for (;;) {
        const page = await this.events.range(bisectId, follower.lastSent, 1000);
        if (page.length === 0) break;
        follower.lastSent = page.at(-1)?.id;
        deliver(page);
      }
      const backlog = after(follower.backlog ?? [], follower.lastSent);
      follower.backlog = undefined;
      if (backlog.length > 0) {
        follower.lastSent = backlog.at(-1)?.id;
        deliver(backlog);
      }
    } catch (error) {
      stop();
      throw error;
    }
    return stop;
  }

  /** The bisects whose stream a tail reads now (one Redis connection each). */
  get tailed(): string[] {
    return [...this.#tails.keys()];
  }

  /** Ends every tail; blocked reads return within BLOCK_MS or at once on disconnect. */
  close(): void {
    this.#closed = true;
    for (const tail of this.#tails.values()) tail.connection.disconnect();
    this.#tails.clear();
  }

  async #tail(bisectId: string): Promise<Tail> {
    const existing = this.#tails.get(bisectId);
    if (existing) return existing;
    const tail: Tail = {
      followers: new Set(),
      // The API's own connection fails fast; a follower's tail waits an outage out instead.
      connection: this.redis.duplicate(WAIT_OUT_OUTAGES),
      stopped: false,
    };
    this.#tails.set(bisectId, tail);
    const start = (await this.events.lastId(bisectId)) ?? '0-0';
    this.#run(bisectId, tail, start).catch((error: unknown) => {
      if (!this.#closed) this.log.warn({ err: error, bisectId }, 'event tail stopped');
    });
    return tail;
  }

  async #run(bisectId: string, tail: Tail, start: string): Promise<void> {
    let position = start;
    try {
      while (!this.#closed) {
        const events = await this.events.read(tail.connection, bisectId, position, BLOCK_MS);
        if (events.length > 0) {
          position = events.at(-1)?.id ?? position;
          for (const follower of tail.followers) {
            if (follower.backlog) {
              follower.backlog.push(...events);
              continue;
            }
            const fresh = after(events, follower.lastSent);
            if (fresh.length === 0) continue;
            follower.lastSent = fresh.at(-1)?.id;
            follower.deliver(fresh);
          }
        }
        if (tail.followers.size === 0) break;
      }
    } finally {
      tail.stopped = true;
      if (this.#tails.get(bisectId) === tail) this.#tails.delete(bisectId);
      tail.connection.disconnect();
    }
  }
}

function after(events: StreamEvent[], id: string | undefined): StreamEvent[] {
  return id === undefined ? events : events.filter((e) => compareStreamIds(e.id, id) > 0);
}
