import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { LabBusy } from './errors/lab-busy.js';
import { LabDown } from './errors/lab-down.js';
import { LabPoolBusy } from './errors/lab-pool-busy.js';
import { LabPoolDown } from './errors/lab-pool-down.js';
import { LeaseLost } from './errors/lease-lost.js';

// Compare-and-act on the holder's token: a holder whose lease expired and was taken over
// must not extend or delete the new holder's lease.
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
// The in-use marker outlives the lease: set by every holder, deleted only by its own clean
// release. A holder that finds it set knows the one before it crashed or lost its lease.
const CLEAR_IN_USE = RELEASE;

export interface LabLeasesOptions {
  /** Prefix of every key; tests use a unique one. Default `kbisect:`. */
  prefix?: string;
  /** A lease not renewed for this long expires (a crashed holder frees the lab). */
  ttlMs?: number;
}

export interface AcquireOptions {
  /** How long to wait for a busy lab (or pool); 0 (default) fails at once with LabBusy. */
  waitMs?: number;
  signal?: AbortSignal;
}

export interface PoolAcquireOptions extends AcquireOptions {
  /** The kernel release the lease is for: labs noted as running it are tried first. */
  kernel?: string;
}

/** One held lease: renewed in the background until released; `lost` fires if it expires. */
export interface LabLease {
  lab: string;
  holder: string;
  /** Aborted when a renewal finds the lease gone: stop using the lab. */
  lost: AbortSignal;
  /**
   * The holder before this one, when it did not release the lab (it crashed, or lost its
   * lease mid-test): the lab may be half-booted or hung, so check it before use.
   */
  uncleanPrevious?: string;
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

  private inUseKey(lab: string) {
    return `${this.prefix}lab:${lab}:in-use`;
  }

  private kernelKey(lab: string) {
    return `${this.prefix}lab:${lab}:kernel`;
  }

  /** When the lab was last released (ms since the epoch): a pool lease takes the idlest lab. */
  private releasedKey(lab: string) {
    return `${this.prefix}lab:${lab}:released`;
  }

  async acquire(lab: string, holderName: string, options: AcquireOptions = {}): Promise<LabLease> {
    const holder = holderId(holderName);
    const key = this.leaseKey(lab);
    const deadline = Date.now() + (options.waitMs ?? 0);
    for (;;) {
      options.signal?.throwIfAborted();
      const down = await this.downReason(lab);
      if (down !== undefined) throw new LabDown(lab, down);
      if (await this.trySet(lab, holder)) return this.held(lab, holder);
      if (Date.now() >= deadline)
        throw new LabBusy(lab, (await this.redis.get(key)) ?? 'an expired holder');
      await sleep(Math.min(500, Math.max(10, deadline - Date.now())));
    }
  }

  /**
   * Leases any one lab of a pool: its labs are interchangeable, so the first free one that is
   * not marked down is taken, those that run `options.kernel` already first, then the one
   * idle longest (never used first, then in the order given). Not the one just released: its
   * holder's commit comes back for its next sample there (a commit's samples stay on one
   * lab), and taking it would boot another kernel on it while idle labs wait. Waits like
   * `acquire` while all that are up are busy; a pool whose labs are all marked down fails at
   * once with each lab's reason. `lease.lab` says which lab it is.
   */
  async acquireFromPool(
    pool: string,
    labs: readonly string[],
    holderName: string,
    options: PoolAcquireOptions = {},
  ): Promise<LabLease> {
    if (labs.length === 0) throw new Error(`pool ${pool}: no labs to lease`);
    const holder = holderId(holderName);
    const deadline = Date.now() + (options.waitMs ?? 0);
    const ordered = await this.warmFirst(labs, options.kernel);
    for (;;) {
      options.signal?.throwIfAborted();
      const down = new Map<string, string>();
      for (const lab of ordered) {
        const reason = await this.downReason(lab);
        if (reason !== undefined) down.set(lab, reason);
        else if (await this.trySet(lab, holder)) return this.held(lab, holder);
      }
      if (down.size === labs.length) throw new LabPoolDown(pool, down);
      if (Date.now() >= deadline) {
        const holders = new Map<string, string>();
        for (const lab of labs.filter((l) => !down.has(l))) {
          holders.set(lab, (await this.holder(lab)) ?? 'an expired holder');
        }
        throw new LabPoolBusy(pool, holders);
      }
      await sleep(Math.min(500, Math.max(10, deadline - Date.now())));
    }
  }

  /** The labs noted as running `kernel` first, then the others idle longest first. */
  private async warmFirst(labs: readonly string[], kernel?: string): Promise<string[]> {
    const [running, released] = await Promise.all([
      Promise.all(labs.map((lab) => (kernel === undefined ? undefined : this.kernelOf(lab)))),
      Promise.all(labs.map(async (lab) => Number(await this.redis.get(this.releasedKey(lab))))),
    ]);
    const order = labs.map((lab, i) => ({
      lab,
      warm: kernel !== undefined && running[i] === kernel,
      // Never released: Number(null) is 0, so it goes first.
      idleSince: released[i] ?? 0,
    }));
    // Array.prototype.sort is stable: labs never released keep the order given.
    order.sort((a, b) => Number(b.warm) - Number(a.warm) || a.idleSince - b.idleSince);
    return order.map(({ lab }) => lab);
  }

  private async trySet(lab: string, holder: string): Promise<boolean> {
    return (await this.redis.set(this.leaseKey(lab), holder, 'PX', this.ttlMs, 'NX')) === 'OK';
  }

  /** A lease just taken: marked in use, renewed in the background until released or lost. */
  private async held(lab: string, holder: string): Promise<LabLease> {
    const key = this.leaseKey(lab);
    const previous = await this.redis.call('SET', this.inUseKey(lab), holder, 'GET');
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
      ...(typeof previous === 'string' ? { uncleanPrevious: previous } : {}),
      release: async () => {
        clearInterval(timer);
        await this.redis.eval(CLEAR_IN_USE, 1, this.inUseKey(lab), holder);
        const released = await this.redis.eval(RELEASE, 1, key, holder);
        if (released === 1) await this.redis.set(this.releasedKey(lab), String(Date.now()));
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

  /**
   * What the lab was last seen running, for every worker to read: a pool lease puts the labs
   * that already run the wanted kernel first, so the samples of a commit need no new boot.
   * Only a preference: the holder still checks what the lab runs before measuring.
   */
  async noteKernel(lab: string, release: string | undefined): Promise<void> {
    if (release === undefined) await this.redis.del(this.kernelKey(lab));
    else await this.redis.set(this.kernelKey(lab), release);
  }

  async kernelOf(lab: string): Promise<string | undefined> {
    return (await this.redis.get(this.kernelKey(lab))) ?? undefined;
  }
}

/** Unique per acquisition, and says who it is: `lab-test@host:pid:random`. */
const holderId = (name: string) =>
  `${name}@${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
