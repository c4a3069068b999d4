import { OracleFailed, type Sample } from '@kbisect/core';
import {
  BootTimeout,
  checkLabAfterUncleanHolder,
  type Deployment,
  deployKernel,
  installSpliceBench,
  type KernelToDeploy,
  KexecLoadFailed,
  type LabConfig,
  type LabLease,
  LabLeases,
  LabPoolDown,
  LabSession,
  recoverLab,
  WrongKernel,
} from '@kbisect/lab';
import {
  buildSpliceBench,
  DEFAULT_SPLICE_MEASURE,
  parseSpliceLoopbackSpec,
  runSpliceBench,
  SpliceBenchFailed,
  spliceBenchQuantity,
  spliceBenchSample,
} from '@kbisect/oracle';
import type { KernelArtifactRef, LabSpec, OracleSpec, Quantity } from '@kbisect/queue';
import { UnrecoverableError } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { LabNotServed } from '../errors/lab-not-served.js';
import { KernelFiles } from './kernel-files.js';

export interface KexecLabsOptions {
  labs: ReadonlyMap<string, LabConfig>;
  redis: Redis;
  /** The deployment's Redis prefix: leases are `<prefix>:lab:...`. */
  prefix: string;
  /** How long a test waits for a lab another bisect holds. */
  leaseWaitMs?: number;
  /** Where kernels built on other hosts come from; default: Redis into a temporary directory. */
  kernelFiles?: KernelFiles;
  log: Logger;
}

/** Where a lab-test job runs, when not on the worker host: a named lab, or a pool. */
export type LabTarget = Exclude<LabSpec, 'local'>;

export interface KexecMeasurement {
  sample: Sample;
  quantity: Quantity;
  /** Present when this test booted the kernel (the first sample of a commit, usually). */
  deployment?: Deployment;
}

/**
 * Runs lab-test jobs on the configured kexec labs: lease the lab, or any free lab of the pool
 * the job names (Redis, so two workers never share one), boot the commit's kernel with kexec
 * unless the lab runs that release already (one boot per commit and lab, however many
 * samples), put splice-bench on it, run it over SSH; each sample says which lab ran it. A
 * kernel that does not boot is an `OracleFailed` ('boot-failed', with the console tail) after
 * the lab is power-cycled back to its default kernel; a lab that does not come back is marked
 * down, which takes it out of its pool, and the job fails (a retry leases another lab of the
 * pool). `deployKernel` refuses a lab whose boot id is this machine's.
 */
export class KexecLabs {
  readonly #sessions = new Map<string, LabSession>();
  readonly #leases: LabLeases;
  readonly #kernelFiles: KernelFiles;
  #spliceBench: Promise<string> | undefined;

  constructor(private readonly options: KexecLabsOptions) {
    this.#leases = new LabLeases(options.redis, { prefix: `${options.prefix}:` });
    this.#kernelFiles = options.kernelFiles ?? KernelFiles.inTempDir(options.redis, options.prefix);
  }

  /** Whether this worker can run a job on the target: the named lab, or a lab of the pool. */
  serves(target: LabTarget): boolean {
    return this.labsOf(target).length > 0;
  }

  /** The configured labs a job may run on: the one it names, or every lab of its pool. */
  private labsOf(target: LabTarget): LabConfig[] {
    if ('name' in target) {
      const config = this.options.labs.get(target.name);
      return config ? [config] : [];
    }
    return [...this.options.labs.values()].filter((lab) => lab.pool === target.pool);
  }

  /** The named lab, or the first free lab of the pool that is up (one running `release` first). */
  private lease(target: LabTarget, release: string, signal: AbortSignal): Promise<LabLease> {
    const options = { waitMs: this.options.leaseWaitMs ?? 30 * 60_000, signal };
    if ('name' in target) return this.#leases.acquire(target.name, 'lab-test', options);
    const names = this.labsOf(target).map((lab) => lab.name);
    return this.#leases
      .acquireFromPool(target.pool, names, 'lab-test', { ...options, kernel: release })
      .catch((error: unknown) => {
        // Labs stay down until a person marks them up: retrying the job cannot help.
        if (error instanceof LabPoolDown) throw new UnrecoverableError(error.message);
        throw error;
      });
  }

  async measure(
    target: LabTarget,
    commit: string,
    artifact: { host: string; kernel?: KernelArtifactRef },
    oracle: OracleSpec,
    signal: AbortSignal,
  ): Promise<KexecMeasurement> {
    if (!this.serves(target)) throw new UnrecoverableError(new LabNotServed(target).message);
    const where = 'name' in target ? `lab ${target.name}` : `pool ${target.pool}`;
    if (oracle.kind !== 'splice-loopback') {
      throw new UnrecoverableError(`${where}: only the splice-loopback oracle runs on a lab`);
    }
    const kernel = artifact.kernel;
    if (!kernel) throw new UnrecoverableError(`${where}: the build job produced no kernel`);
    // Built here or on another host: the files come from this disk or from Redis.
    const files = await this.#kernelFiles.localize(artifact.host, kernel, signal);
    const bench = parseSpliceLoopbackSpec(`splice-loopback${oracle.args ? `:${oracle.args}` : ''}`);
    const binary = await this.spliceBench();
    const lease = await this.lease(target, kernel.release, signal);
    const name = lease.lab;
    // Leased from `labsOf(target)`: a configured lab.
    const config = this.options.labs.get(name) as LabConfig;
    const log = this.options.log.child({ lab: name, commit });
    try {
      const session = this.session(config);
      if (lease.uncleanPrevious)
        await this.checkAfterCrash(session, lease.uncleanPrevious, signal, log);
      let deployment: Deployment | undefined;
      const running = await session.release().catch(() => undefined);
      if (running !== kernel.release) {
        log.info({ running, release: kernel.release }, `kexec ${kernel.release}`);
        await this.#leases.noteKernel(name, undefined);
        deployment = await this.deploy(session, files, signal, log);
      }
      await this.#leases.noteKernel(name, kernel.release);
      if (lease.lost.aborted) throw new OracleFailed(`lab ${name}: lease lost mid-test`);
      const remote = await installSpliceBench(session, binary);
      try {
        const result = await runSpliceBench(session.runner(), remote, bench, {
          signal,
          ...(oracle.timeoutSeconds ? { timeoutMs: oracle.timeoutSeconds * 1000 } : {}),
        });
        if (result.kernel !== kernel.release) {
          throw new OracleFailed(`splice-bench ran on ${result.kernel}, not ${kernel.release}`);
        }
        const measure = oracle.measure ?? DEFAULT_SPLICE_MEASURE;
        const sample = spliceBenchSample(result, measure);
        // Which lab ran it: in a pool the samples of one commit may come from several labs.
        sample.detail = {
          ...sample.detail,
          lab: name,
          ...(deployment ? { deployment: deployment.timings } : {}),
        };
        return {
          sample,
          quantity: spliceBenchQuantity(bench.pattern ?? 'bulk', measure),
          ...(deployment ? { deployment } : {}),
        };
      } catch (error) {
        if (!(error instanceof SpliceBenchFailed)) throw error;
        throw new OracleFailed(
          `splice-bench produced no result: ${error.message}`,
          error.stderrTail,
        );
      }
    } finally {
      await lease.release();
    }
  }

  /**
   * The holder before this one crashed or lost its lease mid-test: the lab may be half-way
   * through a kexec or hung. It is used once it answers SSH, power-cycled if it does not, and
   * marked down (out of its pool) when even that fails.
   */
  private async checkAfterCrash(
    session: LabSession,
    previous: string,
    signal: AbortSignal,
    log: Logger,
  ): Promise<void> {
    const lab = session.config.name;
    log.warn({ previous }, `${lab} was not released by ${previous}: checking it before use`);
    await this.#leases.noteKernel(lab, undefined);
    try {
      const checked = await checkLabAfterUncleanHolder(session, { signal });
      log.info(checked, `${lab} ${checked.recovered ? 'recovered by power cycle' : 'answers'}`);
    } catch (error) {
      if (signal.aborted) throw error;
      await this.#leases.markDown(lab, (error as Error).message);
      throw error;
    }
  }

  /** kexec into the kernel; a boot failure is recovered by power cycle and becomes OracleFailed. */
  private async deploy(
    session: LabSession,
    kernel: KernelToDeploy,
    signal: AbortSignal,
    log: Logger,
  ): Promise<Deployment> {
    const lab = session.config.name;
    try {
      const deployment = await deployKernel(session, kernel, signal);
      log.info({ timings: deployment.timings }, `lab ${lab} runs ${deployment.release}`);
      return deployment;
    } catch (error) {
      if (
        !(error instanceof BootTimeout) &&
        !(error instanceof WrongKernel) &&
        !(error instanceof KexecLoadFailed)
      ) {
        throw error;
      }
      const tail = 'consoleTail' in error && error.consoleTail ? error.consoleTail : undefined;
      log.warn({ err: error.message }, `boot failure on ${lab}`);
      if (!(error instanceof KexecLoadFailed)) {
        try {
          const recovery = await recoverLab(session, { signal });
          log.info({ seconds: recovery.seconds, release: recovery.release }, `${lab} recovered`);
        } catch (recoveryError) {
          await this.#leases.markDown(lab, (recoveryError as Error).message);
          throw recoveryError;
        }
      }
      throw new OracleFailed(`boot failed: ${error.message}`, tail, 'boot-failed');
    }
  }

  private session(config: LabConfig): LabSession {
    let session = this.#sessions.get(config.name);
    if (!session) {
      session = new LabSession(config);
      this.#sessions.set(config.name, session);
    }
    return session;
  }

  /** The static splice-bench uploaded to every lab; compiled once per source version. */
  private spliceBench(): Promise<string> {
    this.#spliceBench ??= buildSpliceBench({ static: true }).then((b) => b.binaryPath);
    this.#spliceBench.catch(() => {
      this.#spliceBench = undefined;
    });
    return this.#spliceBench;
  }

  close(): void {
    for (const session of this.#sessions.values()) session.disconnect();
  }
}
