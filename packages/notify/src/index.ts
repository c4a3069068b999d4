export { type DeliveryAttempt, DeliveryLog } from './delivery-log.js';
export * from './errors/index.js';
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
