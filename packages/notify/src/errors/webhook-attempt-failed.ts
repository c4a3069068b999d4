/**
 * One POST of a webhook did not get a 2xx. `retryable` says whether sending the same bytes
 * again can succeed; `retryAfterMs` is the receiver's own Retry-After, when it sent one.
 */
export class WebhookAttemptFailed extends Error {
  override readonly name = 'WebhookAttemptFailed';
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly statusCode?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}
