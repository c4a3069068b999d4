import { DeliveryQueue, type DeliveryQueueOptions } from './delivery-queue.js';
import {
  checkTarget,
  deliveryIdFor,
  type WebhookEvent,
  type WebhookJob,
  type WebhookTarget,
} from './webhook-job.js';

export type WebhookNotifierOptions = DeliveryQueueOptions;

export interface Notification {
  event: WebhookEvent;
  bisectId: string;
  /** The event's fields (status, result, url...); `event` and `bisectId` are added. */
  payload: Readonly<Record<string, unknown>>;
  targets: readonly Pick<WebhookTarget, 'id' | 'url'>[];
}

/**
 * Enqueues webhook deliveries: one job per target, delivered and retried by the webhook
 * worker, so the coordinator that finished a bisect never waits on a receiver.
 */
export class WebhookNotifier {
  readonly #deliveries: DeliveryQueue<WebhookJob>;

  constructor(options: WebhookNotifierOptions) {
    this.#deliveries = new DeliveryQueue(options);
  }

  get queue() {
    return this.#deliveries.queue;
  }

  /** Returns the delivery ids, one per target, in the order of `targets`. */
  async notify(notification: Notification): Promise<string[]> {
    const { event, bisectId, targets } = notification;
    for (const target of targets) checkTarget(target);
    // One body for every target and attempt: the bytes signed are the bytes sent.
    const body = JSON.stringify({ ...notification.payload, event, bisectId });
    return this.#deliveries.add(
      targets.map((target) => ({
        name: event,
        data: {
          deliveryId: deliveryIdFor(event, bisectId, target.id),
          event,
          bisectId,
          targetId: target.id,
          url: target.url,
          body,
        },
      })),
    );
  }

  close(): Promise<void> {
    return this.#deliveries.close();
  }
}
