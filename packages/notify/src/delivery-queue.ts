import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { WEBHOOK_BACKOFF, WEBHOOK_QUEUE } from './webhook-job.js';

export interface DeliveryQueueOptions {
  /** An ioredis connection made for BullMQ (`maxRetriesPerRequest: null`). */
  connection: Redis;
  /** The service's key prefix; the queue's keys live under it. */
  prefix: string;
  /**
   * Attempts per delivery at most (default 8). With the default 5 s base the retries wait
   * 5 s, 10 s, 20 s ... 5 min 20 s: a receiver down for a deploy gets the event about ten
   * minutes late rather than never.
   */
  attempts?: number;
  /** Wait before the first retry, doubled for each further one (default 5000 ms). */
  backoffMs?: number;
}

/** One delivery to queue: its id is also its job id, so queuing it twice adds it once. */
export interface Delivery<T extends { deliveryId: string }> {
  name: string;
  data: T;
}

const DAY = 24 * 3600;

/**
 * The producer side of the delivery queue that webhooks and report mails share: the same
 * worker sends both, with the same retries (`WEBHOOK_BACKOFF`) and the same delivery log.
 */
export class DeliveryQueue<T extends { deliveryId: string }> {
  readonly queue: Queue<T>;
  readonly #attempts: number;
  readonly #backoffMs: number;

  constructor(options: DeliveryQueueOptions) {
    this.queue = new Queue<T>(WEBHOOK_QUEUE, {
      connection: options.connection,
      prefix: options.prefix,
    });
    this.#attempts = options.attempts ?? 8;
    this.#backoffMs = options.backoffMs ?? 5000;
  }

  /** Queues the deliveries; returns their ids in order. */
  async add(deliveries: readonly Delivery<T>[]): Promise<string[]> {
    const jobs = deliveries.map(({ name, data }) => ({
      name,
      data,
      opts: {
        jobId: data.deliveryId,
        attempts: this.#attempts,
        backoff: { type: WEBHOOK_BACKOFF, delay: this.#backoffMs },
        // Kept so a second add of the same delivery finds it and is not sent twice.
        removeOnComplete: { age: 7 * DAY },
        removeOnFail: { age: 30 * DAY },
      },
    }));
    // BullMQ derives the name type from T, which a generic T leaves unresolved: names are strings.
    await this.queue.addBulk(jobs as Parameters<Queue<T>['addBulk']>[0]);
    return deliveries.map((d) => d.data.deliveryId);
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
