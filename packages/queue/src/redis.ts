import { redactUrl } from '@kbisect/contracts';
import { Redis, type RedisOptions } from 'ioredis';
import { RedisUnreachable } from './errors/redis-unreachable.js';

const lastErrors = new WeakMap<Redis, string>();

/**
 * Commands wait out an outage: queued while Redis is away, sent when it is back. What a
 * worker and a blocking read need (BullMQ refuses a per-command retry limit on them).
 */
export const WAIT_OUT_OUTAGES = {
  enableOfflineQueue: true,
  maxRetriesPerRequest: null,
  autoResendUnfulfilledCommands: true,
  commandTimeout: undefined,
} satisfies RedisOptions;

/**
 * Commands fail at once while Redis is away, and a command sent just before it went is never
 * resent later: what request handlers need. A client that gave up on a POST must not have it
 * executed minutes later when Redis returns, and every request answers while Redis is down.
 */
export const FAIL_FAST = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  // A Redis that stopped answering without closing the connection (a partition).
  commandTimeout: 2000,
} satisfies RedisOptions;

export interface ConnectOptions {
  /** `FAIL_FAST` instead of `WAIT_OUT_OUTAGES`: for the API's connection. */
  failFast?: boolean;
}

/**
 * A Redis connection as BullMQ needs it (no per-command retry limit: a worker must wait out
 * a Redis restart rather than fail its jobs), or, with `failFast`, one for request handlers.
 * `connectionName` shows up in CLIENT LIST. Connection errors go to `onError` (ioredis would
 * print each retry as "Unhandled error").
 */
export function connectRedis(
  url: string,
  connectionName: string,
  onError: (error: Error) => void = () => {},
  options: ConnectOptions = {},
): Redis {
  const redis = new Redis(url, {
    ...(options.failFast ? FAIL_FAST : WAIT_OUT_OUTAGES),
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

/**
 * Resolves once the connection is ready and Redis answers PING, or rejects with
 * `RedisUnreachable`. (A fail-fast connection refuses commands until it is ready.)
 */
export async function pingRedis(redis: Redis, url: string, timeoutMs = 5000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const ready =
    redis.status === 'ready'
      ? Promise.resolve()
      : new Promise<void>((resolve) => redis.once('ready', () => resolve()));
  try {
    await Promise.race([
      ready.then(() => redis.ping()),
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

/** The service's connection, checked, with its connection errors going to a late logger. */
export interface ServiceRedis {
  redis: Redis;
  /** Where connection errors go from now on: at most one per 10 s, not one per retry. */
  logErrorsTo(log: (error: Error) => void): void;
}

/**
 * `connectRedis` + `pingRedis` as the API and the workers start: the connection is closed
 * again when Redis does not answer. Errors are kept until a logger exists (it is made from
 * the stores this connection serves), then throttled: an outage is one warning per 10 s.
 */
export async function openServiceRedis(
  url: string,
  connectionName: string,
  options: ConnectOptions = {},
): Promise<ServiceRedis> {
  let log: (error: Error) => void = () => {};
  let last = 0;
  const redis = connectRedis(
    url,
    connectionName,
    (error) => {
      const now = Date.now();
      if (now - last < 10_000) return;
      last = now;
      log(error);
    },
    options,
  );
  try {
    await pingRedis(redis, url);
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  return {
    redis,
    logErrorsTo: (fn) => {
      log = fn;
    },
  };
}
