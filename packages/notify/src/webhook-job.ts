import { createHash } from 'node:crypto';
import { WebhookTargetInvalid } from './errors/webhook-target-invalid.js';

/** The BullMQ queue of webhook deliveries; a name beside the service's coordinator/build/lab-test. */
export const WEBHOOK_QUEUE = 'webhook';

/** The custom backoff the webhook worker implements (see `webhookBackoff`). */
export const WEBHOOK_BACKOFF = 'webhook';

export const WEBHOOK_EVENTS = ['bisect.finished', 'watch.regression'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** Where notifications go. The secret signs them; it stays with whoever resolves targets. */
export interface WebhookTarget {
  /** Stable name of the target, e.g. "ci-bot"; the worker looks its secret up by it. */
  id: string;
  url: string;
  secret: string;
}

/**
 * One delivery: one event to one target. It carries no secret: job data is shown by the
 * queue dashboard and copied into Redis dumps, so the worker asks for the secret by target
 * id when it signs, which also lets a rotated secret apply to the retries still pending.
 */
export interface WebhookJob {
  deliveryId: string;
  event: WebhookEvent;
  bisectId: string;
  targetId: string;
  url: string;
  /** The JSON body, exactly the bytes every attempt sends and signs. */
  body: string;
}

/**
 * Derived from event, bisect and target, so a coordinator that finishes a bisect twice (it
 * was restarted mid-finish) enqueues the same delivery, which BullMQ does not add twice,
 * and a receiver that deduplicates on X-Kbisect-Delivery sees one id for all attempts.
 * UUID-shaped because receivers often store it in a uuid column.
 */
export function deliveryIdFor(
  event: WebhookEvent | 'bisect.mail',
  bisectId: string,
  targetId: string,
): string {
  const hex = createHash('sha256').update(`${event}\0${bisectId}\0${targetId}`).digest('hex');
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    hex.slice(12, 16),
    hex.slice(16, 20),
    hex.slice(20, 32),
  ].join('-');
}

const TARGET_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Refuses a target a POST cannot go to: a bad id, or a URL that is not http(s). */
export function checkTarget(target: Pick<WebhookTarget, 'id' | 'url'>): void {
  if (!TARGET_ID.test(target.id)) {
    throw new WebhookTargetInvalid(target.id, 'the id must be 1-64 of A-Z a-z 0-9 . _ -');
  }
  let url: URL;
  try {
    url = new URL(target.url);
  } catch {
    throw new WebhookTargetInvalid(target.id, 'the URL does not parse');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new WebhookTargetInvalid(
      target.id,
      `only http and https URLs are posted to, not ${url.protocol}`,
    );
  }
}

/** The origin of a URL for logs: webhook URLs often hold a secret in their path or query. */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(unparsable URL)';
  }
}
