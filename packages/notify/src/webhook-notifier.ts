import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  checkTarget,
  deliveryIdFor,
  WEBHOOK_BACKOFF,
  WEBHOOK_QUEUE,
  type WebhookEvent,
  type WebhookJob,
  type WebhookTarget,
} from './webhook-job.js';

export interface WebhookNotifierOptions {
  /** An ioredis connection made for BullMQ (`maxRetriesPerRequest: null`). */
  connection: Redis;
  /** The service's key prefix; the queue's keys live under it. */
  prefix: string;
  /**
   * POSTs per delivery at most (default 8). With the default 5 s base the retries wait
   * 5 s, 10 s, 20 s ... 5 min 20 s: a receiver down for a deploy gets the event about ten
   * minutes late rather than never.
   */
  attempts?: number;
  /** Wait before the first retry, doubled for each further one (default 5000 ms). */
  backoffMs?: number;
}

export interface Notification {
  event: WebhookEvent;
  bisectId: string;
  /** The event's fields (status, result, url...); `event` and `bisectId` are added. */
  payload: Readonly<Record<string, unknown>>;
  targets: readonly Pick<WebhookTarget, 'id' | 'url'>[];
}

const DAY = 24 * 3600;

/**
 * Enqueues webhook deliveries: one job per target, delivered and retried by the webhook
 * worker, so the coordinator that finished a bisect never waits on a receiver.
 */
export class WebhookNotifier {
  readonly queue: Queue<WebhookJob>;
  readonly #attempts: number;
  readonly #backoffMs: number;

  constructor(options: WebhookNotifierOptions) {
    this.queue = new Queue<WebhookJob>(WEBHOOK_QUEUE, {
      connection: options.connection,
      prefix: options.prefix,
    });
    this.#attempts = options.attempts ?? 8;
    this.#backoffMs = options.backoffMs ?? 5000;
  }

  /** Returns the delivery ids, one per target, in the order of `targets`. */
  async notify(notification: Notification): Promise<string[]> {
    const { event, bisectId, targets } = notification;
    for (const target of targets) checkTarget(target);
    // One body for every target and attempt: the bytes signed are the bytes sent.
    const body = JSON.stringify({ ...notification.payload, event, bisectId });
    const jobs = targets.map((target) => {
      const deliveryId = deliveryIdFor(event, bisectId, target.id);
      const data: WebhookJob = {
        deliveryId,
        event,
        bisectId,
        targetId: target.id,
        url: target.url,
        body,
      };
      return {
        name: event,
        data,
        opts: {
          jobId: deliveryId,
          attempts: this.#attempts,
          backoff: { type: WEBHOOK_BACKOFF, delay: this.#backoffMs },
          // Kept so a second notify of the same delivery finds it and is not sent twice.
          removeOnComplete: { age: 7 * DAY },
          removeOnFail: { age: 30 * DAY },
        },
      };
    });
    await this.queue.addBulk(jobs);
    return jobs.map((job) => job.data.deliveryId);
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
