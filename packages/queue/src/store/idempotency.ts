import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Keys } from '../keys.js';

/** What an Idempotency-Key stands for: the bisect it created and the body that created it. */
export interface IdempotencyClaim {
  bisectId: string;
  bodyHash: string;
}

export type ClaimOutcome =
  | { kind: 'claimed' }
  /** The key was used before: the same bisect is the answer, if the body is the same. */
  | { kind: 'taken'; claim: IdempotencyClaim };

/** Stable for equal JSON values whatever the key order, so a re-serialised retry matches. */
export function bodyHash(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Idempotency keys (SET NX with expiry), scoped per API token so two CI systems that happen
 * to pick the same key never see each other's bisects.
 */
export class IdempotencyKeys {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly ttlSeconds: number,
  ) {}

  private key(scope: string, key: string): string {
    return this.keys.idempotency(createHash('sha256').update(`${scope}\0${key}`).digest('hex'));
  }

  async claim(scope: string, key: string, claim: IdempotencyClaim): Promise<ClaimOutcome> {
    const redisKey = this.key(scope, key);
    const set = await this.redis.set(redisKey, JSON.stringify(claim), 'EX', this.ttlSeconds, 'NX');
    if (set === 'OK') return { kind: 'claimed' };
    const existing = await this.redis.get(redisKey);
    // Expired between the two commands: the key is free again.
    if (existing === null) return this.claim(scope, key, claim);
    return { kind: 'taken', claim: JSON.parse(existing) as IdempotencyClaim };
  }

  /** Frees a key whose request was refused, so a corrected retry can use it. */
  async release(scope: string, key: string, bisectId: string): Promise<void> {
    const redisKey = this.key(scope, key);
    const existing = await this.redis.get(redisKey);
    if (existing && (JSON.parse(existing) as IdempotencyClaim).bisectId === bisectId) {
      await this.redis.del(redisKey);
    }
  }
}
