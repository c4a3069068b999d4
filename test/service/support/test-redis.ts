import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** The Redis every service test shares (the machine's, on loopback) unless REDIS_URL says. */
export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix no other test run uses, so parallel runs on one Redis never collide. */
export function uniquePrefix(name: string): string {
  return `kbisect-test-${name}-${process.pid}-${randomBytes(3).toString('hex')}`;
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
