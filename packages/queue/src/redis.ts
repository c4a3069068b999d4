import { Redis } from 'ioredis';
import { RedisUnreachable } from './errors/redis-unreachable.js';

const lastErrors = new WeakMap<Redis, string>();

/**
 * A Redis connection as BullMQ needs it (no per-command retry limit: a worker must wait out
 * a Redis restart rather than fail its jobs). `connectionName` shows up in CLIENT LIST.
 * Connection errors go to `onError` (ioredis would print each retry as "Unhandled error").
 */
export function connectRedis(
  url: string,
  connectionName: string,
  onError: (error: Error) => void = () => {},
): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    connectionName,
    // Reconnect quickly at first, then at most every 2 s.
    retryStrategy: (times) => Math.min(50 * 2 ** times, 2000),
  });
  redis.on('error', (error: Error) => {
    lastErrors.set(redis, error.message);
    onError(error);
  });
  return redis;
}

/** Resolves once Redis answers PING, or rejects with `RedisUnreachable`. */
export async function pingRedis(redis: Redis, url: string, timeoutMs = 5000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new RedisUnreachable(redactUrl(url), timeoutMs, lastErrors.get(redis))),
          timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A Redis URL without its password, for logs and errors. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}
