import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Requirement } from './requirement.js';

/**
 * The Redis every test shares (the machine's, on loopback) unless REDIS_URL says otherwise:
 * the one place a test learns where Redis is.
 */
export const TEST_REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

const INSTALL =
  'sudo apt-get install redis-server (and start it: redis-server --daemonize yes), ' +
  'or point REDIS_URL at a Redis';

/** A key prefix no other test run uses, so parallel runs on one Redis never collide. */
export function uniquePrefix(name: string): string {
  return `kbisect-test-${name}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** A connection to the test Redis as BullMQ wants it (no per-command retry limit). */
export function connectTestRedis(): Redis {
  return new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
}

/** Why the test Redis does not answer PING, or undefined when it does. */
export async function testRedisMissing(url = TEST_REDIS_URL): Promise<string | undefined> {
  const probe = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 2000,
  });
  // The connection's own error (ECONNREFUSED...) says more than the failed command's.
  let cause: string | undefined;
  probe.on('error', (error: Error) => {
    cause ??= error.message;
  });
  try {
    await probe.connect();
    await probe.ping();
    return undefined;
  } catch (error) {
    return `Redis does not answer at ${url} (${cause ?? (error as Error).message})`;
  } finally {
    probe.disconnect();
  }
}

/** The test Redis as a requirement (see requirements.ts), probed once. */
export async function testRedis(): Promise<Requirement> {
  return { name: 'Redis', missing: await testRedisMissing(), install: INSTALL };
}

/** Deletes every key under `prefix`; tests call it when they end. */
export async function deleteKeys(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    redis.disconnect();
  }
}
