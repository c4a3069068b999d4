import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { OracleFailed, type Sample } from '@kbisect/core';
import {
  BootTimeout,
  type Deployment,
  deployKernel,
  installSpliceBench,
  KexecLoadFailed,
  type LabConfig,
  LabLeases,
  LabSession,
  recoverLab,
  WrongKernel,
} from '@kbisect/lab';
import {
  buildSpliceBench,
  parseSpliceLoopbackSpec,
  runSpliceBench,
  SpliceBenchFailed,
  spliceBenchSample,
} from '@kbisect/oracle';
import type { KernelArtifactRef, OracleSpec, Quantity } from '@kbisect/queue';
import { UnrecoverableError } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ArtifactMissing } from '../errors/artifact-missing.js';
import { LabNotServed } from '../errors/lab-not-served.js';

export interface KexecLabsOptions {
  labs: ReadonlyMap<string, LabConfig>;
  redis: Redis;
  /** The deployment's Redis prefix: leases are `<prefix>:lab:...`. */
  prefix: string;
  /** How long a test waits for a lab another bisect holds. */
  leaseWaitMs?: number;
  log: Logger;
}

export interface KexecMeasurement {
  sample: Sample;
  quantity: Quantity;
  /** Present when this test booted the kernel (the first sample of a commit, usually). */
  deployment?: Deployment;
}

/**
 * Runs lab-test jobs on the configured kexec labs: lease the lab (Redis, so two workers never
 * share it), boot the commit's kernel with kexec unless the lab runs that release already (one
 * boot per commit, however many samples), put splice-bench on it, run it over SSH. A kernel
 * that does not boot is an `OracleFailed` with the console tail (the commit is skipped) after
 * the lab is power-cycled back to its default kernel; a lab that does not come back is marked
 * down and the job fails. `deployKernel` refuses a lab whose boot id is this machine's.
 */
export class KexecLabs {
  readonly #sessions = new Map<string, LabSession>();
  readonly #leases: LabLeases;
  #spliceBench: Promise<string> | undefined;

  constructor(private readonly options: KexecLabsOptions) {
    this.#leases = new LabLeases(options.redis, { prefix: `${options.prefix}:` });
  }

  serves(name: string): boolean {
    return this.options.labs.has(name);
  }

  async measure(
    name: string,
    commit: string,
    artifact: { host: string; kernel?: KernelArtifactRef },
    oracle: OracleSpec,
    signal: AbortSignal,
  ): Promise<KexecMeasurement> {
    const config = this.options.labs.get(name);
    if (!config) throw new UnrecoverableError(new LabNotServed({ name }).message);
    if (oracle.kind !== 'splice-loopback') {
      throw new UnrecoverableError(`lab ${name}: only the splice-loopback oracle runs on a lab`);
    }
    const kernel = artifact.kernel;
    if (!kernel) throw new UnrecoverableError(`lab ${name}: the build job produced no kernel`);
    if (artifact.host !== hostname() || !existsSync(kernel.image)) {
      throw new UnrecoverableError(new ArtifactMissing(kernel.image, artifact.host).message);
    }
    const bench = parseSpliceLoopbackSpec(`splice-loopback${oracle.args ? `:${oracle.args}` : ''}`);
    const binary = await this.spliceBench();
    const log = this.options.log.child({ lab: name, commit });
    const lease = await this.#leases.acquire(name, 'lab-test', {
      waitMs: this.options.leaseWaitMs ?? 30 * 60_000,
      signal,
    });
    try {
      const session = this.session(config);
      let deployment: Deployment | undefined;
      const running = await session.release().catch(() => undefined);
      if (running !== kernel.release) {
        log.info({ running, release: kernel.release }, `kexec ${kernel.release}`);
        deployment = await this.deploy(session, kernel, signal, log);
      }
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
        const sample = spliceBenchSample(result);
        if (deployment) sample.detail = { ...sample.detail, deployment: deployment.timings };
        return {
          sample,
          quantity:
            bench.pattern === 'rr'
              ? { metric: 'rr transactions', unit: 'txn/s' }
              : { metric: 'throughput', unit: 'bytes/s' },
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

  /** kexec into the kernel; a boot failure is recovered by power cycle and becomes OracleFailed. */
  private async deploy(
    session: LabSession,
    kernel: KernelArtifactRef,
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
      throw new OracleFailed(`boot failed: ${error.message}`, tail);
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
