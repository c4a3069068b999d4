import { createHash } from 'node:crypto';
import type { ServiceConfig } from '@kbisect/config';
import type { ResultObject } from '@kbisect/contracts';
import { WebhookNotifier } from '@kbisect/notify';
import type { Redis } from 'ioredis';
import type { ServiceLinks } from '../store/service-links.js';

/** The logging a lifecycle step needs; a pino logger fits. */
export interface LifecycleLog {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
}

/**
 * The target id of a bisect's `webhook` URL: `bisect-` and 16 hex digits of its SHA-256, the
 * same for every bisect that names the URL, so `webhooks.secrets` can give it its own secret.
 */
export function webhookTargetId(url: string): string {
  return `bisect-${createHash('sha256').update(url).digest('hex').slice(0, 16)}`;
}

/** The secret that signs posts to a target: its own in `webhooks.secrets`, else the default. */
export function webhookSecretFor(config: ServiceConfig, targetId: string): string | undefined {
  const own = Object.hasOwn(config.webhooks.secrets, targetId)
    ? config.webhooks.secrets[targetId]
    : undefined;
  return own ?? config.webhooks.secret;
}

/**
 * Sends `bisect.finished` through the signed, retried webhook queue of `@kbisect/notify`.
 * The queue is made on first use: most callers of `finishBisect` end bisects without a webhook.
 */
export class BisectWebhooks {
  #notifier: WebhookNotifier | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly config: ServiceConfig,
    private readonly links: ServiceLinks,
  ) {}

  /** Queues the delivery; resolves with its id. */
  async finished(
    bisectId: string,
    webhook: string,
    status: string,
    result: ResultObject,
  ): Promise<string[]> {
    this.#notifier ??= new WebhookNotifier({
      connection: this.redis,
      prefix: this.config.redis.prefix,
      attempts: this.config.webhooks.attempts,
      backoffMs: this.config.webhooks.backoffMs,
    });
    const url = await this.links.bisect(bisectId);
    return this.#notifier.notify({
      event: 'bisect.finished',
      bisectId,
      payload: { status, ...(url ? { url } : {}), result },
      targets: [{ id: webhookTargetId(webhook), url: webhook }],
    });
  }

  async close(): Promise<void> {
    await this.#notifier?.close();
    this.#notifier = undefined;
  }
}
