import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { HttpError } from '../errors/http-errors.js';

/**
 * Routes that answer without Redis: liveness, readiness (it says why it is not ready), docs,
 * and the web page's files (the page then shows the API's 503 itself).
 */
const WITHOUT_REDIS = ['/healthz', '/readyz', '/docs', '/ui'];

/** Redis is unreachable: the request was not carried out, and nothing of it was stored. */
export class RedisUnavailable extends HttpError {
  override readonly name = 'RedisUnavailable';
  constructor() {
    super(
      503,
      'Redis is unreachable, so this request was not carried out and nothing of it was stored; ' +
        'try again in a moment (GET /readyz says when the service is back)',
    );
  }
}

/** What ioredis rejects a command with when the connection is gone (FAIL_FAST in @kbisect/queue). */
const OUTAGE_MESSAGES = [
  "Stream isn't writeable",
  'Connection is closed',
  'Command timed out',
  'Reached the max retries per request limit',
];

/**
 * Requests answer 503 at once while the API's Redis connection is down, instead of waiting
 * for it: the gate refuses them before they start, and a command that fails because Redis
 * went away in the middle of a request is turned into the same 503 (`asRedisUnavailable`).
 */
export function installRedisGate(app: FastifyInstance, redis: Redis): void {
  app.addHook('onRequest', async (request) => {
    if (redis.status === 'ready') return;
    const path = request.url.split('?')[0] ?? '';
    if (WITHOUT_REDIS.some((open) => path === open || path.startsWith(`${open}/`))) return;
    throw new RedisUnavailable();
  });
}

/** The 503 for an error that Redis going away caused; undefined for any other error. */
export function asRedisUnavailable(error: Error, redis: Redis): RedisUnavailable | undefined {
  if (error instanceof RedisUnavailable) return error;
  const outage =
    error.name === 'MaxRetriesPerRequestError' ||
    OUTAGE_MESSAGES.some((message) => error.message?.includes(message)) ||
    redis.status !== 'ready';
  return outage ? new RedisUnavailable() : undefined;
}
