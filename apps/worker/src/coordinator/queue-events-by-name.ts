import { QueueEvents, type QueueEventsOptions } from 'bullmq';

/**
 * The QueueEvents of queues known by name only when a job is sent there (the lab-test queues:
 * one per host, lab and pool). Each is made on first use and kept: one Redis connection per
 * queue this coordinator has waited on, a handful in any deployment.
 */
export class QueueEventsByName {
  readonly #byName = new Map<string, { events: QueueEvents; ready: Promise<QueueEvents> }>();

  constructor(private readonly options: QueueEventsOptions) {}

  /** The queue's events, listening: a job's completion cannot be missed once this resolves. */
  get(name: string): Promise<QueueEvents> {
    let entry = this.#byName.get(name);
    if (!entry) {
      const events = new QueueEvents(name, this.options);
      const ready = events.waitUntilReady().then(() => events);
      entry = { events, ready };
      this.#byName.set(name, entry);
      // A connection that failed is not kept: the next test on the queue tries a new one.
      ready.catch(() => {
        if (this.#byName.get(name)?.ready === ready) this.#byName.delete(name);
        events.close().catch(() => {});
      });
    }
    return entry.ready;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#byName.values()].map(({ events }) => events.close()));
  }
}
