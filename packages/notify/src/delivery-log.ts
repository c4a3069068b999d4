import type { Redis } from 'ioredis';

/** One POST of one delivery, as the delivery log keeps it. */
export interface DeliveryAttempt {
  deliveryId: string;
  event: string;
  targetId: string;
  /**
   * Scheme, host and port of the target only: webhook URLs often carry their own secret in
   * the path or query (chat webhooks do), and the log is shown to anyone who can read a bisect.
   */
  origin: string;
  /** 1 for the first POST of the delivery. */
  attempt: number;
  /** ISO time the POST started. */
  at: string;
  durationMs: number;
  /**
   * delivered: a 2xx. retrying: failed, another attempt is scheduled. failed: failed and no
   * further attempt will be made (not retryable, or the attempts are used up).
   */
  outcome: 'delivered' | 'retrying' | 'failed';
  statusCode?: number;
  error?: string;
}

/** Attempts kept per bisect; a receiver down for days must not grow the list without end. */
const MAX_ENTRIES = 1000;
const TTL_SECONDS = 30 * 24 * 3600;

/**
 * The webhook deliveries of each bisect, in the order they were attempted: a Redis list per
 * bisect under the service's prefix, kept 30 days after its last attempt.
 */
export class DeliveryLog {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  key(bisectId: string): string {
    return `${this.prefix}:webhooks:${bisectId}:deliveries`;
  }

  async append(bisectId: string, attempt: DeliveryAttempt): Promise<void> {
    const key = this.key(bisectId);
    await this.redis
      .multi()
      .rpush(key, JSON.stringify(attempt))
      .ltrim(key, -MAX_ENTRIES, -1)
      .expire(key, TTL_SECONDS)
      .exec();
  }

  async list(bisectId: string): Promise<DeliveryAttempt[]> {
    const raw = await this.redis.lrange(this.key(bisectId), 0, -1);
    return raw.map((line) => JSON.parse(line) as DeliveryAttempt);
  }
}
