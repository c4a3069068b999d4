import { hostname } from 'node:os';
import {
  type BuildProgressOptions,
  compilerCacheFor,
  type KernelBuilder,
  shellBuild,
} from '@kbisect/build';
import type { Repositories } from '@kbisect/config';
import { BuildJob, type BuildJobResult, ownerKey } from '@kbisect/contracts';
import { type BuildEvidence, formatDuration } from '@kbisect/core';
import type { Repository, Worktree } from '@kbisect/git';
import { type ArtifactStore, ownerWithdrawn, type Stores } from '@kbisect/queue';
import type { Sandbox } from '@kbisect/sandbox';
import { type Job, UnrecoverableError, WaitingError } from 'bullmq';
import type { Logger } from 'pino';
import Value from 'typebox/value';
import { LostLock } from '../errors/lost-lock.js';
import { interruptCause } from '../errors/step-interrupted.js';
import { hostFaultOf } from '../faults/host-fault.js';
import type { Interrupts } from '../interrupts.js';
import { ownsJobLock } from '../job-lock.js';
import type { KernelBuilders } from './kernel-builders.js';
import type { LocalWorktrees } from './local-worktrees.js';
import { publishKernel } from './publish-kernel.js';

export interface BuildProcessorOptions {
  stores: Stores;
  repositories: Repositories;
  worktrees: LocalWorktrees;
  interrupts: Interrupts;
  /** Where build commands run (docs/security.md). */
  sandbox: Sandbox;
  /** Kernel builds (`build.kernel`); without it a kernel build job fails. */
  kernelBuilders?: KernelBuilders;
  /** This host's name in build results; hostname() unless a test plays another host. */
  host?: string;
  /** Time between a running build's progress lines in the bisect's log; default 30 s. */
  progressIntervalMs?: number;
  /** Where build commands' ccache lives (`build.ccache`); the kernel builders keep their own. */
  cacheDir: string;
  /** The workers' lock of a job (`worker.lockDurationMs`): renewed when a run takes a slot. */
  lockDurationMs: number;
  log: Logger;
}

const optional = <K extends string, V>(key: K, value: V | undefined) =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;

/**
 * A build job: the commit checked out clean in a build slot (a fresh worktree with the culprit
 * reverted, for the revert check), the build command in it, its compilers fronted by ccache
 * unless the spec says `ccache: off`. The worktree is the result; a failed build is evidence,
 * not an error. Cancel kills the build's process group and gives the worktree back; a
 * shutdown does the same and hands the job back to the queue for another worker. So do a
 * lost lock (another worker's run of the job counts now: this one writes nothing and gives
 * back only its own hold) and a drop by the owner (a build ahead no step needs: the job ends
 * for good).
 */
export function buildProcessor(options: BuildProcessorOptions) {
  const { stores, repositories, worktrees, interrupts } = options;
  const host = options.host ?? hostname();
  return async (job: Job<BuildJob, BuildJobResult>, token?: string, bullSignal?: AbortSignal) => {
    if (!Value.Check(BuildJob, job.data)) {
      throw new UnrecoverableError(`build job ${job.id}: payload does not match BuildJob`);
    }
    const data = job.data;
    const log = options.log.child({ ...data.owner, commit: data.commit, step: 'build' });
    // The build's own lines (start, progress) go to the same child: the owner's event stream.
    const progress: BuildProgressOptions = {
      log,
      ...(options.progressIntervalMs ? { intervalMs: options.progressIntervalMs } : {}),
    };
    const withdrawn = await ownerWithdrawn(stores, data.owner);
    if (withdrawn) throw new UnrecoverableError(withdrawn);
    const owner = ownerKey(data.owner);
    const step = interrupts.open(owner, [bullSignal]);
    let worktree: Worktree | undefined;
    try {
      const repository = await repositories.get(data.repo);
      // The coordinator saw this commit; a mirror on another host may not have it yet.
      await repository.resolveRef(data.commit);
      if (data.kernel) {
        if (!options.kernelBuilders) {
          throw new UnrecoverableError('this worker does not build kernels');
        }
        // The revert check: the culprit reverted on the bad commit, as a commit of its own in
        // the mirror, so the kernel builder builds and names it like any other commit.
        let commit = data.commit;
        if (data.revert) {
          const revert = await repository.revertCommit(data.commit, data.revert, {
            baseDir: worktrees.dirOf(owner),
          });
          if (!revert.clean) {
            return {
              kind: 'revert-conflict',
              conflicts: revert.conflicts,
            } satisfies BuildJobResult;
          }
          log.info({ revertCommit: revert.sha }, `revert of ${data.revert.slice(0, 12)} committed`);
          commit = revert.sha;
        }
        return await buildKernel(
          await options.kernelBuilders.get(data.kernel),
          repository,
          commit,
          {
            store: stores.artifacts,
            host,
            dir: worktrees.dirOf(owner),
            signal: step.signal,
            log,
            progress,
          },
        );
      }
      const baseDir = worktrees.dirOf(owner);
      if (data.revert) {
        const revert = await repository.revertWorktree(data.commit, data.revert, { baseDir });
        worktree = revert;
        if (!revert.clean) {
          await revert.remove();
          worktree = undefined;
          return { kind: 'revert-conflict', conflicts: revert.conflicts } satisfies BuildJobResult;
        }
      } else {
        // A run that lost its lock (its process did not run for longer than the lock) may
        // have been given to another worker already: that run holds the slot, and this one
        // taking the hold over as "the same job running again" would check the slot out under
        // it and, ending, give it back while its commit is tested.
        if (token && !(await ownsJobLock(job, token, options.lockDurationMs))) {
          throw new LostLock(`build job ${job.id}`);
        }
        // A build slot, held by this job until its owner gives it back: the hold outlives
        // this process, so the commit's tests (and a coordinator restarted after a crash)
        // find the tree this job built, or see that it moved on (`slotProblem`).
        worktree = await repository.buildWorktree(data.commit, {
          baseDir,
          ...worktrees.holdFor(data.owner, String(job.id), stores),
        });
      }
      log.debug({ worktree: worktree.path }, `building ${data.commit.slice(0, 12)}`);
      const evidence: BuildEvidence = data.command
        ? await shellBuild({
            command: data.command,
            timeoutMs: data.timeoutMs,
            sandbox: options.sandbox,
            network: data.network ?? false,
            ...optional(
              'compilerCache',
              await compilerCacheFor(data.ccache ?? 'auto', options.cacheDir),
            ),
          }).run({
            dir: worktree.path,
            commit: data.commit,
            signal: step.signal,
            progress,
          })
        : { ok: true, seconds: 0 };
      if (step.signal.aborted) throw step.signal.reason;
      if (data.command) {
        log.info(
          { ok: evidence.ok, seconds: evidence.seconds },
          `build ${data.commit.slice(0, 12)}: ${evidence.ok ? 'built' : 'failed'} in ${formatDuration(evidence.seconds)}`,
        );
      }
      throwIfHostFault(evidence, host, baseDir);
      worktrees.keep(worktree, owner);
      const built: BuildJobResult = {
        kind: 'built',
        host,
        worktree: worktree.path,
        build: evidence,
      };
      worktree = undefined;
      return built;
    } catch (error) {
      const cause = interruptCause(step.signal);
      if (cause === 'shutdown' && token) {
        log.info('shutting down: the build goes back to the queue');
        await job.moveToWait(token);
        throw new WaitingError();
      }
      if (cause === 'cancel') throw new UnrecoverableError('bisect cancelled');
      if (cause === 'dropped') {
        log.info(`build of ${data.commit.slice(0, 12)} stopped: no step needs it`);
        throw new UnrecoverableError('dropped by its owner: no step needs this build');
      }
      if (cause === 'lost-lock') {
        log.warn('another worker runs this build now: this run stops without writing');
        throw new LostLock(`build job ${job.id}`);
      }
      // A full or read-only cache is the host's fault: tried again later, not the commit's.
      throw hostFaultOf({ error }, host, worktrees.dirOf(owner)) ?? error;
    } finally {
      step.done();
      await worktree?.remove().catch(() => {});
    }
  };
}

/**
 * A kernel build job: KernelBuilder builds the commit (or finds it in its artifact cache),
 * then the image and modules go to the deployment's Redis for the lab worker, wherever it
 * runs. A failed build is evidence with the log tail, and the build log's path stands where a
 * worktree would be.
 */
async function buildKernel(
  builder: KernelBuilder,
  repository: Repository,
  commit: string,
  context: {
    store: ArtifactStore;
    host: string;
    dir: string;
    signal: AbortSignal;
    log: Logger;
    progress: BuildProgressOptions;
  },
): Promise<BuildJobResult> {
  const { signal, log } = context;
  const { evidence, artifact } = await builder.build(repository, commit, signal, context.progress);
  if (signal.aborted) throw signal.reason;
  throwIfHostFault(evidence, context.host, context.dir);
  log.info(
    { release: evidence.release, cached: evidence.cached, seconds: evidence.seconds },
    `kernel ${commit.slice(0, 12)} ${evidence.ok ? 'built' : 'does not build'}${evidence.cached ? ' (cached)' : ''}`,
  );
  const image = artifact?.image;
  const release = artifact?.release ?? evidence.release;
  const kernel =
    evidence.ok && artifact && image && release
      ? await publishKernel(context.store, { ...artifact, image }, release, log, signal)
      : undefined;
  return {
    kind: 'built',
    host: context.host,
    worktree: image ?? evidence.logPath,
    build: evidence,
    ...(kernel ? { kernel } : {}),
  };
}

/** A build that failed because the disk did (its output says so) is not evidence about the commit. */
function throwIfHostFault(evidence: BuildEvidence, host: string, dir: string): void {
  if (evidence.ok || !evidence.logTail) return;
  const fault = hostFaultOf({ buildOutput: evidence.logTail }, host, dir);
  if (fault) throw fault;
}
