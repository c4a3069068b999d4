import type {
  KernelArtifact,
  KernelBuildEvidence,
  KernelBuilder,
  KernelSource,
} from '@kbisect/build';
import { type BisectEnvironment, OracleFailed, type PreparedCommit } from '@kbisect/core';
import {
  BootTimeout,
  type Deployment,
  deployKernel,
  installProgram,
  KexecLoadFailed,
  type LabLease,
  type LabLeases,
  type LabSession,
  recoverLab,
  WrongKernel,
} from '@kbisect/lab';
import {
  runSpliceBench,
  SpliceBenchFailed,
  type SpliceBenchOptions,
  spliceBenchSample,
} from '@kbisect/oracle';

/** A commit built, and (when it built) booted on the lab: ready for splice-bench samples. */
export interface KernelLabPrepared extends PreparedCommit {
  build: KernelBuildEvidence;
  artifact?: KernelArtifact;
  deployment?: Deployment;
  /** Why the kernel could not be booted: measure() turns it into a skip. */
  bootFailure?: { reason: string; consoleTail?: string; recoverySeconds?: number };
  remoteBench?: string;
  lease?: LabLease;
}

export interface KernelLabEnvironmentOptions {
  source: KernelSource;
  builder: KernelBuilder;
  session: LabSession;
  /** Leases the lab per commit when given (the service); the local e2e may run without. */
  leases?: LabLeases;
  holder?: string;
  /** Static splice-bench on the worker host; uploaded to the lab after each boot. */
  spliceBench: string;
  bench: SpliceBenchOptions;
  /** The release the lab boots after a power cycle, to check a recovery. */
  defaultRelease?: string;
  onDeploy?: (commit: string, deployment: Deployment) => void;
  onBootFailure?: (commit: string, failure: NonNullable<KernelLabPrepared['bootFailure']>) => void;
}

/**
 * The kernel bisect's world: prepare = build the commit's kernel (cached by tree) → lease the
 * lab → kexec it → upload splice-bench; measure = one splice-bench run on the lab; release =
 * free the lease. A kernel that does not boot (BootTimeout, WrongKernel, kexec -l refused)
 * is recovered with the lab's power-cycle command and skipped with the console tail as
 * evidence. The worker wires the same pieces behind its build and lab jobs.
 */
export function kernelLabEnvironment(
  options: KernelLabEnvironmentOptions,
): BisectEnvironment<KernelLabPrepared> {
  const { source, builder, session, leases } = options;
  const lab = session.config.name;

  return {
    async prepare(commit, signal) {
      const { evidence, artifact } = await builder.build(source, commit, signal);
      const prepared: KernelLabPrepared = { commit, build: evidence };
      if (!evidence.ok || !artifact?.image || !artifact.release) return prepared;
      prepared.artifact = artifact;
      if (leases) {
        prepared.lease = await leases.acquire(lab, options.holder ?? 'e2e', {
          waitMs: 10 * 60_000,
          signal,
        });
      }
      try {
        prepared.deployment = await deployKernel(
          session,
          { image: artifact.image, release: artifact.release },
          signal,
        );
        options.onDeploy?.(commit, prepared.deployment);
        prepared.remoteBench = await installProgram(session, options.spliceBench);
      } catch (error) {
        if (
          !(error instanceof BootTimeout) &&
          !(error instanceof WrongKernel) &&
          !(error instanceof KexecLoadFailed)
        ) {
          await prepared.lease?.release();
          throw error;
        }
        const failure: NonNullable<KernelLabPrepared['bootFailure']> = {
          reason: error.message,
          ...('consoleTail' in error && error.consoleTail
            ? { consoleTail: error.consoleTail }
            : {}),
        };
        if (!(error instanceof KexecLoadFailed)) {
          try {
            const recovery = await recoverLab(session, {
              ...(options.defaultRelease ? { defaultRelease: options.defaultRelease } : {}),
              signal,
            });
            failure.recoverySeconds = recovery.seconds;
          } catch (recoveryError) {
            await leases?.markDown(lab, (recoveryError as Error).message);
            await prepared.lease?.release();
            throw recoveryError;
          }
        }
        prepared.bootFailure = failure;
        options.onBootFailure?.(commit, failure);
      }
      return prepared;
    },

    async measure(prepared, signal) {
      if (prepared.bootFailure) {
        throw new OracleFailed(
          `boot failed: ${prepared.bootFailure.reason}`,
          prepared.bootFailure.consoleTail,
          'boot-failed',
        );
      }
      if (!prepared.remoteBench) throw new OracleFailed('splice-bench is not installed on the lab');
      if (prepared.lease?.lost.aborted) throw new OracleFailed(`lab ${lab}: lease lost mid-test`);
      try {
        const result = await runSpliceBench(session.runner(), prepared.remoteBench, options.bench, {
          signal,
        });
        if (result.kernel !== prepared.artifact?.release) {
          throw new OracleFailed(
            `splice-bench ran on ${result.kernel}, not ${prepared.artifact?.release}`,
          );
        }
        return spliceBenchSample(result);
      } catch (error) {
        if (!(error instanceof SpliceBenchFailed)) throw error;
        throw new OracleFailed(
          `splice-bench produced no result: ${error.message}`,
          error.stderrTail,
        );
      }
    },

    async release(prepared) {
      await prepared.lease?.release();
    },
  };
}
