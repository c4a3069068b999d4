import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { LabBusy } from './errors/lab-busy.js';
import { LabDown } from './errors/lab-down.js';
import { LeaseLost } from './errors/lease-lost.js';

// Compare-and-act on the holder's token: a holder whose lease expired and was taken over
// must not extend or delete the new holder's lease.
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export interface LabLeasesOptions {
  /** Prefix of every key; tests use a unique one. Default `kbisect:`. */
  prefix?: string;
  /** A lease not renewed for this long expires (a crashed holder frees the lab). */
  ttlMs?: number;
}

export interface AcquireOptions {
  /** How long to wait for a busy lab; 0 (default) fails at once with LabBusy. */
  waitMs?: number;
  signal?: AbortSignal;
}

/** One held lease: renewed in the background until released; `lost` fires if it expires. */
export interface LabLease {
  lab: string;
  holder: string;
  /** Aborted when a renewal finds the lease gone: stop using the lab. */
  lost: AbortSignal;
  release(): Promise<void>;
}

/**
 * Leases of lab machines in Redis, so that one lab runs one test at a time across all
 * workers. A lease is a key with an expiry, renewed at a third of it; a worker that dies
 * stops renewing and the lease expires. A lab marked down cannot be leased until marked up.
 */
export class LabLeases {
  readonly prefix: string;
  readonly ttlMs: number;

  constructor(
    private readonly redis: Redis,
    options: LabLeasesOptions = {},
  ) {
    this.prefix = options.prefix ?? 'kbisect:';
    this.ttlMs = options.ttlMs ?? 60_000;
  }

  private leaseKey(lab: string) {
    return `${this.prefix}lab:${lab}:lease`;
  }

  private downKey(lab: string) {
    return `${this.prefix}lab:${lab}:down`;
  }

  async acquire(lab: string, holderName: string, options: AcquireOptions = {}): Promise<LabLease> {
    const holder = `${holderName}@${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    const key = this.leaseKey(lab);
    const deadline = Date.now() + (options.waitMs ?? 0);
    for (;;) {
      options.signal?.throwIfAborted();
      const down = await this.downReason(lab);
      if (down !== undefined) throw new LabDown(lab, down);
      if ((await this.redis.set(key, holder, 'PX', this.ttlMs, 'NX')) === 'OK') break;
      if (Date.now() >= deadline)
        throw new LabBusy(lab, (await this.redis.get(key)) ?? 'an expired holder');
      await sleep(Math.min(500, Math.max(10, deadline - Date.now())));
    }

    const lost = new AbortController();
    const renew = async () => {
      try {
        const renewed = await this.redis.eval(RENEW, 1, key, holder, String(this.ttlMs));
        if (renewed !== 1) {
          clearInterval(timer);
          lost.abort(new LeaseLost(lab));
        }
      } catch {
        // Redis unreachable for a moment: the next renewal retries; the expiry decides.
      }
    };
    const timer = setInterval(() => void renew(), Math.max(10, Math.floor(this.ttlMs / 3)));
    timer.unref();
    return {
      lab,
      holder,
      lost: lost.signal,
      release: async () => {
        clearInterval(timer);
        await this.redis.eval(RELEASE, 1, key, holder);
      },
    };
  }

  /** Who holds the lab now, if anyone. */
  async holder(lab: string): Promise<string | undefined> {
    return (await this.redis.get(this.leaseKey(lab))) ?? undefined;
  }

  /** Takes the lab out of its pool with the reason a person needs to fix it. */
  async markDown(lab: string, reason: string): Promise<void> {
    await this.redis.set(this.downKey(lab), reason);
  }

  async markUp(lab: string): Promise<void> {
    await this.redis.del(this.downKey(lab));
  }

  async downReason(lab: string): Promise<string | undefined> {
    return (await this.redis.get(this.downKey(lab))) ?? undefined;
  }
}
