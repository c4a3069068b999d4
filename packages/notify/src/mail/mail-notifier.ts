import { DeliveryQueue, type DeliveryQueueOptions } from '../delivery-queue.js';
import { deliveryIdFor } from '../webhook-job.js';
import { composeMail, type MailMessage } from './compose-mail.js';
import { MAIL_EVENT, MAIL_JOB, type MailJob } from './mail-job.js';

export type MailNotifierOptions = DeliveryQueueOptions;

/**
 * Queues mails on the delivery queue the webhooks use: the same worker sends them, with
 * the same retries and the same per-bisect delivery log. The coordinator that ended a
 * bisect never waits on a mail server.
 */
export class MailNotifier {
  readonly #deliveries: DeliveryQueue<MailJob>;

  constructor(options: MailNotifierOptions) {
    this.#deliveries = new DeliveryQueue(options);
  }

  get queue() {
    return this.#deliveries.queue;
  }

  /** Composes and queues each mail; returns their delivery ids in order. */
  async send(
    bisectId: string,
    mails: readonly { targetId: string; message: MailMessage }[],
  ): Promise<string[]> {
    const deliveries = await Promise.all(
      mails.map(async ({ targetId, message }) => {
        const { raw, envelope } = await composeMail(message);
        // The same id for the same bisect and target: a finish run twice queues one mail.
        const data: MailJob = {
          deliveryId: deliveryIdFor(MAIL_EVENT, bisectId, targetId),
          bisectId,
          targetId,
          messageId: message.messageId,
          envelope,
          raw,
        };
        return { name: MAIL_JOB, data };
      }),
    );
    return this.#deliveries.add(deliveries);
  }

  close(): Promise<void> {
    return this.#deliveries.close();
  }
}
