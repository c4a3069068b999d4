import type { Redis } from 'ioredis';
import type { Keys } from '../keys.js';

/**
 * Notices to every worker. From the API: a bisect was cancelled (stop its build and test
 * processes now), or its journal changed under the coordinator (a manual mark: decide again).
 * From a coordinator: a job of `queue` is no longer needed (a build ahead of the branch not
 * taken), so the worker running it stops that run and the job ends for good. Pub/sub is
 * fire-and-forget: the record's `cancelRequested` flag stays the truth for workers that were
 * not listening, and a dropped job nobody stopped runs to its end and is given back then.
 */
export type ControlMessage =
  | { bisectId: string; action: 'cancel' | 'journal-changed' }
  | { action: 'drop-job'; queue: string; jobId: string };

export class ControlChannel {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async publish(message: ControlMessage): Promise<void> {
    await this.redis.publish(this.keys.control, JSON.stringify(message));
  }

  /** Listens on a connection of its own; resolves with a function that stops listening. */
  async subscribe(onMessage: (message: ControlMessage) => void): Promise<() => Promise<void>> {
    const subscriber = this.redis.duplicate();
    subscriber.on('message', (_channel: string, text: string) => {
      try {
        onMessage(JSON.parse(text) as ControlMessage);
      } catch {
        // Not ours to crash on: a malformed notice is ignored, the record flag still holds.
      }
    });
    await subscriber.subscribe(this.keys.control);
    return async () => {
      await subscriber.quit().catch(() => subscriber.disconnect());
    };
  }
}
