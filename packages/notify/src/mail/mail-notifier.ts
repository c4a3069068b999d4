import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { deliveryIdFor, WEBHOOK_BACKOFF, WEBHOOK_QUEUE } from '../webhook-job.js';
import { composeMail, type MailMessage } from './compose-mail.js';
import { MAIL_EVENT, MAIL_JOB, type MailJob } from './mail-job.js';

export interface MailNotifierOptions {
  /** An ioredis connection made for BullMQ (`maxRetriesPerRequest: null`). */
  connection: Redis;
  prefix: string;
  /** Deliveries of one mail at most (default 8). */
  attempts?: number;
  /** Wait before the first retry, doubled for each further one (default 5000 ms). */
  backoffMs?: number;
}

const DAY = 24 * 3600;

/**
 * Queues mails on the delivery queue the webhooks use: the same worker sends them, with
 * the same retries and the same per-bisect delivery log. The coordinator that ended a
 * bisect never waits on a mail server.
 */
export class MailNotifier {
  readonly queue: Queue<MailJob>;
  readonly #attempts: number;
  readonly #backoffMs: number;

  constructor(options: MailNotifierOptions) {
    this.queue = new Queue<MailJob>(WEBHOOK_QUEUE, {
      connection: options.connection,
      prefix: options.prefix,
    });
    this.#attempts = options.attempts ?? 8;
    this.#backoffMs = options.backoffMs ?? 5000;
  }

  /** Composes and queues each mail; returns their delivery ids in order. */
  async send(
    bisectId: string,
    mails: readonly { targetId: string; message: MailMessage }[],
  ): Promise<string[]> {
    const jobs = await Promise.all(
      mails.map(async ({ targetId, message }) => {
        const { raw, envelope } = await composeMail(message);
        // The same id for the same bisect and target: a finish run twice queues one mail.
        const deliveryId = deliveryIdFor(MAIL_EVENT, bisectId, targetId);
        const data: MailJob = {
          deliveryId,
          bisectId,
          targetId,
          messageId: message.messageId,
          envelope,
          raw,
        };
        return {
          name: MAIL_JOB,
          data,
          opts: {
            jobId: deliveryId,
            attempts: this.#attempts,
            backoff: { type: WEBHOOK_BACKOFF, delay: this.#backoffMs },
            removeOnComplete: { age: 7 * DAY },
            removeOnFail: { age: 30 * DAY },
          },
        };
      }),
    );
    await this.queue.addBulk(jobs);
    return jobs.map((job) => job.data.deliveryId);
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
