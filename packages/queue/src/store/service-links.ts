import type { ServiceConfig } from '@kbisect/config';
import type { Redis } from 'ioredis';
import type { Keys } from '../keys.js';

/**
 * The base of every link to the service: `api.publicUrl` when configured (the address people
 * read it at, behind a proxy say), else `fallback`. One function, so the API's answers, its
 * reports, the mails and the webhook bodies name the same address.
 */
export function linkBase(api: ServiceConfig['api'], fallback: string): string;
export function linkBase(
  api: ServiceConfig['api'],
  fallback: string | undefined,
): string | undefined;
export function linkBase(api: ServiceConfig['api'], fallback: string | undefined) {
  return api.publicUrl?.replace(/\/+$/, '') ?? fallback;
}

export const bisectLink = (base: string, id: string): string => `${base}/v1/bisects/${id}`;
export const watchLink = (base: string, id: string): string => `${base}/v1/watches/${id}`;

/**
 * Links made away from a request (mails, webhook bodies, made by a worker): `api.publicUrl`,
 * else the address the API bound, which the API records when it listens. `api.host` and
 * `api.port` will not do: a worker is another process, and port 0 lets the kernel choose.
 */
export class ServiceLinks {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly api: ServiceConfig['api'],
  ) {}

  /** The API records where it listens (the last API to start wins: all of them answer). */
  async listening(url: string): Promise<void> {
    await this.redis.set(this.keys.apiAddress, url);
  }

  /** Undefined when neither is known (no public URL, no API started yet): no link then. */
  async base(): Promise<string | undefined> {
    if (this.api.publicUrl) return linkBase(this.api, undefined);
    return (await this.redis.get(this.keys.apiAddress)) ?? undefined;
  }

  async bisect(id: string): Promise<string | undefined> {
    const base = await this.base();
    return base === undefined ? undefined : bisectLink(base, id);
  }
}
