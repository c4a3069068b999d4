export { type DeliveryAttempt, DeliveryLog } from './delivery-log.js';
export { type Delivery, DeliveryQueue, type DeliveryQueueOptions } from './delivery-queue.js';
export * from './errors/index.js';
export { composeMail, type Mailbox, type MailMessage } from './mail/compose-mail.js';
export {
  MailConfig,
  mailConfigProblems,
  SmtpConfig,
} from './mail/mail-config.js';
export { MAIL_EVENT, MAIL_JOB, type MailJob } from './mail/mail-job.js';
export { MailNotifier, type MailNotifierOptions } from './mail/mail-notifier.js';
export {
  MailAttemptFailed,
  type MailSender,
  type MailSent,
  mailSenderFor,
  mboxSender,
  smtpPassword,
  smtpSender,
} from './mail/mail-sender.js';
export { mboxEntry } from './mail/mbox.js';
export {
  type AttemptOutcome,
  isRetryableStatus,
  type PostRequest,
  postWebhook,
} from './post-webhook.js';
export {
  assertValidSignature,
  DEFAULT_TOLERANCE_SECONDS,
  HEADER,
  type SignedHeaders,
  sign,
  signedHeaders,
  type VerifyOptions,
  verifySignature,
} from './signature.js';
export {
  checkTarget,
  deliveryIdFor,
  WEBHOOK_BACKOFF,
  WEBHOOK_EVENTS,
  WEBHOOK_QUEUE,
  type WebhookEvent,
  type WebhookJob,
  type WebhookTarget,
} from './webhook-job.js';
export {
  type Notification,
  WebhookNotifier,
  type WebhookNotifierOptions,
} from './webhook-notifier.js';
export {
  startWebhookWorker,
  type WebhookWorker,
  type WebhookWorkerOptions,
  webhookBackoff,
} from './webhook-worker.js';
