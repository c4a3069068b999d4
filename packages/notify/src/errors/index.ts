export { WebhookAttemptFailed } from './webhook-attempt-failed.js';
export { type SignatureProblem, WebhookSignatureInvalid } from './webhook-signature-invalid.js';
export { WebhookTargetInvalid } from './webhook-target-invalid.js';
