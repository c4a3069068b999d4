import { type Job, type MinimalJob, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { type DeliveryAttempt, DeliveryLog } from './delivery-log.js';
import { WebhookAttemptFailed } from './errors/webhook-attempt-failed.js';
import { MAIL_EVENT, MAIL_JOB, type MailJob } from './mail/mail-job.js';
import { MailAttemptFailed, type MailSender } from './mail/mail-sender.js';
import { postWebhook } from './post-webhook.js';
import { signedHeaders } from './signature.js';
import { originOf, WEBHOOK_QUEUE, type WebhookJob } from './webhook-job.js';

export interface WebhookWorkerOptions {
  /** An ioredis connection made for BullMQ (`maxRetriesPerRequest: null`). */
  connection: Redis;
  prefix: string;
  /** The secret of a target, looked up when each attempt is signed; undefined: gone. */
  secretFor(targetId: string): string | undefined | Promise<string | undefined>;
  /** Deadline of one POST, connect to last byte (default 10 000 ms). */
  timeoutMs?: number;
  /** Longest wait between two attempts, Retry-After included (default 1 h). */
  maxBackoffMs?: number;
  concurrency?: number;
  /**
   * Where the mails of the same queue go (`mail` jobs, MailNotifier): an SMTP relay or the
   * mbox of a dry run; undefined when the service has no `mail` section.
   */
  mail?: MailSender;
  /** Called after each attempt is logged; hand it to pino. */
  onAttempt?(bisectId: string, attempt: DeliveryAttempt): void;
  /** Errors of the worker itself (Redis connection lost...), which BullMQ retries. */
  onError?(error: Error): void;
}

export interface WebhookWorker {
  worker: Worker<WebhookJob | MailJob>;
  deliveries: DeliveryLog;
  close(): Promise<void>;
}

/**
 * Exponential: `delay` × 2^(n-1) after the n-th failure, capped; a receiver that said
 * Retry-After (429, 503) is not asked again sooner than it wants, up to the same cap.
 */
export function webhookBackoff(maxBackoffMs: number) {
  return (attemptsMade: number, _type?: string, err?: Error, job?: MinimalJob): number => {
    const base =
      job?.opts.backoff && typeof job.opts.backoff === 'object' ? (job.opts.backoff.delay ?? 0) : 0;
    const exponential = base * 2 ** Math.max(0, attemptsMade - 1);
    const asked = err instanceof WebhookAttemptFailed ? (err.retryAfterMs ?? 0) : 0;
    // A mail server has no Retry-After: the exponential wait alone.
    return Math.min(maxBackoffMs, Math.max(exponential, asked));
  };
}

/** Starts the worker that POSTs webhook deliveries and keeps their log per bisect. */
export function startWebhookWorker(options: WebhookWorkerOptions): WebhookWorker {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deliveries = new DeliveryLog(options.connection, options.prefix);

  const deliver = async (job: Job<WebhookJob>) => {
    const { deliveryId, event, bisectId, targetId, url, body } = job.data;
    const attempt = job.attemptsMade + 1;
    const lastAttempt = attempt >= (job.opts.attempts ?? 1);
    const at = new Date();
    const record = async (
      entry: Omit<
        DeliveryAttempt,
        'deliveryId' | 'event' | 'targetId' | 'origin' | 'attempt' | 'at'
      >,
    ) => {
      const full: DeliveryAttempt = {
        deliveryId,
        event,
        targetId,
        origin: originOf(url),
        attempt,
        at: at.toISOString(),
        ...entry,
      };
      await deliveries.append(bisectId, full);
      options.onAttempt?.(bisectId, full);
    };

    const secret = await options.secretFor(targetId);
    if (!secret) {
      const error = `no secret for target ${targetId}: it was removed, so nothing is sent unsigned`;
      await record({ durationMs: 0, outcome: 'failed', error });
      throw new UnrecoverableError(error);
    }
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'kbisect-webhook/1',
      ...signedHeaders({ secret, event, deliveryId, body, now: at }),
    };
    const result = await postWebhook({ url, body, headers }, { timeoutMs });
    if (result.ok) {
      await record({
        durationMs: result.durationMs,
        outcome: 'delivered',
        statusCode: result.statusCode,
      });
      return { statusCode: result.statusCode };
    }
    await record({
      durationMs: result.durationMs,
      outcome: result.retryable && !lastAttempt ? 'retrying' : 'failed',
      ...(result.statusCode !== undefined ? { statusCode: result.statusCode } : {}),
      error: result.error,
    });
    // UnrecoverableError is how BullMQ is told not to use the remaining attempts.
    if (!result.retryable) throw new UnrecoverableError(result.error);
    throw new WebhookAttemptFailed(result.error, true, result.statusCode, result.retryAfterMs);
  };

  /** One SMTP delivery (or mbox append) of a composed mail, logged like a POST. */
  const deliverMail = async (job: Job<MailJob>) => {
    const { deliveryId, bisectId, targetId } = job.data;
    const attempt = job.attemptsMade + 1;
    const lastAttempt = attempt >= (job.opts.attempts ?? 1);
    const at = new Date();
    const sender = options.mail;
    const record = async (
      entry: Pick<DeliveryAttempt, 'outcome' | 'statusCode' | 'error'>,
      origin = sender?.origin ?? 'mail',
    ) => {
      const full: DeliveryAttempt = {
        deliveryId,
        event: MAIL_EVENT,
        targetId,
        origin,
        attempt,
        at: at.toISOString(),
        durationMs: Date.now() - at.getTime(),
        ...entry,
      };
      await deliveries.append(bisectId, full);
      options.onAttempt?.(bisectId, full);
    };
    if (!sender) {
      const error = 'this worker has no mail section in its config: the mail is not sent';
      await record({ outcome: 'failed', error });
      throw new UnrecoverableError(error);
    }
    try {
      const sent = await sender.send(job.data);
      await record({
        outcome: 'delivered',
        ...(sent.statusCode !== undefined ? { statusCode: sent.statusCode } : {}),
      });
      return sent;
    } catch (error) {
      const failed =
        error instanceof MailAttemptFailed
          ? error
          : new MailAttemptFailed((error as Error).message, true);
      await record({
        outcome: failed.retryable && !lastAttempt ? 'retrying' : 'failed',
        ...(failed.statusCode !== undefined ? { statusCode: failed.statusCode } : {}),
        error: failed.message,
      });
      if (!failed.retryable) throw new UnrecoverableError(failed.message);
      throw failed;
    }
  };

  const worker = new Worker<WebhookJob | MailJob>(
    WEBHOOK_QUEUE,
    (job) =>
      job.name === MAIL_JOB ? deliverMail(job as Job<MailJob>) : deliver(job as Job<WebhookJob>),
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency ?? 4,
      settings: { backoffStrategy: webhookBackoff(options.maxBackoffMs ?? 3_600_000) },
    },
  );
  // An 'error' event without a listener would throw and end the process over a Redis blip.
  worker.on('error', (error) => options.onError?.(error));
  return { worker, deliveries, close: () => worker.close() };
}
