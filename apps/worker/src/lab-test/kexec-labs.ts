import type { KernelArtifactRef, LabSpec, Quantity } from '@kbisect/contracts';
import { OracleFailed, type Sample } from '@kbisect/core';
import {
  BootTimeout,
  checkLabAfterUncleanHolder,
  type Deployment,
  deployKernel,
  type KernelToDeploy,
  KexecLoadFailed,
  type LabLease,
  LabLeases,
  type LabTarget as LabOracleTarget,
  LabPoolDown,
  LabSession,
  labTarget,
  recoverLab,
  WrongKernel,
} from '@kbisect/lab';
import type { LabConfig } from '@kbisect/lab/config';
import type { OracleSpec } from '@kbisect/oracle';
import { UnrecoverableError } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { LabNotServed } from '../errors/lab-not-served.js';
import { KernelFiles } from './kernel-files.js';
import type { Oracles } from './oracles.js';

export interface KexecLabsOptions {
  labs: ReadonlyMap<string, LabConfig>;
  redis: Redis;
  /** The deployment's Redis prefix: leases are `<prefix>:lab:...`. */
  prefix: string;
  /** How long a test waits for a lab another bisect holds. */
  leaseWaitMs?: number;
  /** Where kernels built on other hosts come from; default: Redis into a temporary directory. */
  kernelFiles?: KernelFiles;
  /** The oracle factory local tests use: a lab is one more target for it. */
  oracles: Oracles;
  /** For lines outside a job; a job's lines go to the logger `measure` is given. */
  log: Logger;
}

/** Where a lab-test job runs, when not on the worker host: a named lab, or a pool. */
export type LabTarget = Exclude<LabSpec, 'local'>;

export interface KexecMeasurement {
  sample: Sample;
  /** What the numbers are, when the oracle knows (not for exit codes). */
  quantity?: Quantity;
  /** Present when this test booted the kernel (the first sample of a commit, usually). */
  deployment?: Deployment;
}

/**
 * Runs lab-test jobs on the configured kexec labs: lease the lab, or any free lab of the pool
 * the job names (Redis, so two workers never share one), boot the commit's kernel with kexec
 * unless the lab runs that release already (one boot per commit and lab, however many
 * samples), then hand the lab to the oracle factory local tests use (`Oracles`, with the lab
 * as target): any oracle runs there over SSH, its kernel proven before each sample; each
 * sample says which lab ran it. This class knows no oracle kind. A
 * kernel that does not boot is an `OracleFailed` ('boot-failed', with the console tail) after
 * the lab is power-cycled back to its default kernel; a lab that does not come back is marked
 * down, which takes it out of its pool, and the job fails (a retry leases another lab of the
 * pool). `deployKernel` refuses a lab whose boot id is this machine's.
 */
export class KexecLabs {
  readonly #sessions = new Map<string, { session: LabSession; target: LabOracleTarget }>();
  readonly #leases: LabLeases;
  readonly #kernelFiles: KernelFiles;

  constructor(private readonly options: KexecLabsOptions) {
    this.#leases = new LabLeases(options.redis, { prefix: `${options.prefix}:` });
    this.#kernelFiles = options.kernelFiles ?? KernelFiles.inTempDir(options.redis, options.prefix);
  }

  /** Whether this worker can run a job on the target: the named lab, or a lab of the pool. */
  serves(target: LabTarget): boolean {
    return this.labsOf(target).length > 0;
  }

  /**
   * The labs of a pool in this worker's config that are not marked down: how many commits a
   * round of a bisect on the pool tests at once (the coordinator's `testSlots`).
   */
  async labsUp(pool: string): Promise<string[]> {
    const up: string[] = [];
    for (const lab of this.labsOf({ pool })) if (await this.isUp(lab.name)) up.push(lab.name);
    return up;
  }

  /**
   * Whether the named lab, or any lab of the pool, runs on the build host's cores (its config's
   * `sharesBuildHost`); a lab this worker does not know does not.
   */
  sharesBuildHost(target: LabTarget): boolean {
    return this.labsOf(target).some((lab) => lab.sharesBuildHost);
  }

  /** Whether the lab is not marked down (a lab this worker does not know counts as up). */
  async isUp(lab: string): Promise<boolean> {
    return (await this.#leases.downReason(lab)) === undefined;
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

  /**
   * One sample of `oracle` on the commit's kernel on a lab of `target`. `log` is the job's
   * logger (with its bisectId): every line about the lab goes to the bisect's event stream.
   */
  async measure(
    target: LabTarget,
    commit: string,
    artifact: { host: string; kernel?: KernelArtifactRef },
    oracle: OracleSpec,
    signal: AbortSignal,
    jobLog: Logger = this.options.log,
  ): Promise<KexecMeasurement> {
    if (!this.serves(target)) throw new UnrecoverableError(new LabNotServed(target).message);
    const where = 'name' in target ? `lab ${target.name}` : `pool ${target.pool}`;
    const kernel = artifact.kernel;
    if (!kernel) throw new UnrecoverableError(`${where}: the build job produced no kernel`);
    // Built here or on another host: the files come from this disk or from Redis.
    const files = await this.#kernelFiles.localize(artifact.host, kernel, signal, jobLog);
    const lease = await this.lease(target, kernel.release, signal);
    const name = lease.lab;
    // Leased from `labsOf(target)`: a configured lab.
    const config = this.options.labs.get(name) as LabConfig;
    const log = jobLog.child({ lab: name });
    try {
      const { session, target: onLab } = this.session(config);
      if (lease.uncleanPrevious)
        await this.checkAfterCrash(session, lease.uncleanPrevious, signal, log);
      let deployment: Deployment | undefined;
      const running = await session.release().catch(() => undefined);
      if (running !== kernel.release) {
        await this.#leases.noteKernel(name, undefined);
        deployment = await this.deploy(session, files, running, signal, log);
      }
      await this.#leases.noteKernel(name, kernel.release);
      if (lease.lost.aborted) throw new OracleFailed(`lab ${name}: lease lost mid-test`);
      const measuring = await this.options.oracles.get(oracle, onLab);
      const sample = await measuring.measure({
        commit,
        dir: onLab.workDir,
        signal,
        release: kernel.release,
      });
      log.info(
        { sample: { value: sample.value, exitCode: sample.exitCode, hang: sample.hang } },
        `${measuring.description} on ${name} (${kernel.release}): ${outcomeOf(sample)}`,
      );
      // Which lab ran it: in a pool the samples of one commit may come from several labs.
      sample.detail = {
        ...sample.detail,
        lab: name,
        kernel: kernel.release,
        ...(deployment ? { deployment: deployment.timings } : {}),
      };
      return {
        sample,
        ...(measuring.quantity ? { quantity: measuring.quantity } : {}),
        ...(deployment ? { deployment } : {}),
      };
    } catch (error) {
      if (error instanceof OracleFailed) {
        log.warn({ reason: error.reason }, `test on ${name} failed: ${error.message}`);
      }
      throw error;
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
    running: string | undefined,
    signal: AbortSignal,
    log: Logger,
  ): Promise<Deployment> {
    const lab = session.config.name;
    const what = `kexec ${kernel.release} on ${lab}`;
    log.info(
      { running, release: kernel.release },
      `${what}: uploading (it runs ${running ?? 'an unknown kernel'})`,
    );
    try {
      const deployment = await deployKernel(session, kernel, signal);
      const t = deployment.timings;
      log.info(
        { timings: t },
        `${what}: SSH back after ${t.rebootSeconds.toFixed(1)} s (upload ${t.uploadSeconds.toFixed(1)} s, total ${t.totalSeconds.toFixed(1)} s)`,
      );
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
      log.warn({ err: error.message }, `${what}: boot failure: ${error.message}`);
      if (!(error instanceof KexecLoadFailed)) {
        log.info(`${lab}: recovering (power cycle, then its default kernel)`);
        try {
          const recovery = await recoverLab(session, { signal });
          log.info(
            { seconds: recovery.seconds, release: recovery.release },
            `${lab} recovered in ${recovery.seconds.toFixed(1)} s, running ${recovery.release}`,
          );
        } catch (recoveryError) {
          log.error(
            { err: (recoveryError as Error).message },
            `${lab} did not recover: marked down`,
          );
          await this.#leases.markDown(lab, (recoveryError as Error).message);
          throw recoveryError;
        }
      }
      throw new OracleFailed(`boot failed: ${error.message}`, tail, 'boot-failed');
    }
  }

  /** One SSH session and oracle target per lab, for the life of this worker. */
  private session(config: LabConfig): { session: LabSession; target: LabOracleTarget } {
    let entry = this.#sessions.get(config.name);
    if (!entry) {
      const session = new LabSession(config);
      entry = { session, target: labTarget(session) };
      this.#sessions.set(config.name, entry);
    }
    return entry;
  }

  close(): void {
    for (const { session } of this.#sessions.values()) session.disconnect();
  }
}

/** A sample in a few words, for the log line: "exit 0 in 1.2 s", "2383 in 2.0 s". */
function outcomeOf(sample: Sample): string {
  const took = `in ${sample.seconds.toFixed(1)} s`;
  if (sample.hang) return `hung ${took}`;
  if (sample.value !== undefined) return `${sample.value} ${took}`;
  return `exit ${sample.exitCode} ${took}`;
}
