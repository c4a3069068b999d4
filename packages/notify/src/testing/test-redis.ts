import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** The machine's Redis on loopback, shared by every test run; REDIS_URL may say otherwise. */
export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix no other run uses, so parallel runs on one Redis never see each other. */
export function uniquePrefix(name: string): string {
  return `kbisect-test-${name}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export function connectTestRedis(): Redis {
  return new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
}

/** Unlinks every key under `prefix`. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}
