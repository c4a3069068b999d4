import { hostname } from 'node:os';
import { shellBuild } from '@kbisect/build';
import type { BuildEvidence } from '@kbisect/core';
import type { Worktree } from '@kbisect/git';
import { BuildJob, type BuildJobResult, type Repositories, type Stores } from '@kbisect/queue';
import { type Job, UnrecoverableError, WaitingError } from 'bullmq';
import type { Logger } from 'pino';
import Value from 'typebox/value';
import { interruptCause } from '../errors/step-interrupted.js';
import type { Interrupts } from '../interrupts.js';
import type { LocalWorktrees } from './local-worktrees.js';

export interface BuildProcessorOptions {
  stores: Stores;
  repositories: Repositories;
  worktrees: LocalWorktrees;
  interrupts: Interrupts;
  log: Logger;
}

/**
 * A build job: a fresh worktree of the commit (with the culprit reverted, for the revert
 * check), the build command in it. The worktree is the result; a failed build is evidence,
 * not an error. Cancel kills the build's process group and removes the worktree; a shutdown
 * does the same and hands the job back to the queue for another worker.
 */
export function buildProcessor(options: BuildProcessorOptions) {
  const { stores, repositories, worktrees, interrupts } = options;
  return async (job: Job<BuildJob, BuildJobResult>, token?: string, bullSignal?: AbortSignal) => {
    if (!Value.Check(BuildJob, job.data)) {
      throw new UnrecoverableError(`build job ${job.id}: payload does not match BuildJob`);
    }
    const data = job.data;
    const log = options.log.child({ bisectId: data.bisectId, commit: data.commit, step: 'build' });
    const record = await stores.bisects.get(data.bisectId);
    if (!record || record.cancelRequested) {
      throw new UnrecoverableError(`bisect ${data.bisectId} was cancelled or removed`);
    }
    const step = interrupts.open(data.bisectId, [bullSignal]);
    let worktree: Worktree | undefined;
    try {
      const repository = await repositories.get(data.repo);
      // The coordinator saw this commit; a mirror on another host may not have it yet.
      await repository.resolveRef(data.commit);
      const baseDir = worktrees.dirOf(data.bisectId);
      if (data.revert) {
        const revert = await repository.revertWorktree(data.commit, data.revert, { baseDir });
        worktree = revert;
        if (!revert.clean) {
          await revert.remove();
          worktree = undefined;
          return { kind: 'revert-conflict', conflicts: revert.conflicts } satisfies BuildJobResult;
        }
      } else {
        worktree = await repository.addWorktree(data.commit, { baseDir });
      }
      log.debug({ worktree: worktree.path }, `building ${data.commit.slice(0, 12)}`);
      const evidence: BuildEvidence = data.command
        ? await shellBuild({ command: data.command, timeoutMs: data.timeoutMs }).run({
            dir: worktree.path,
            commit: data.commit,
            signal: step.signal,
          })
        : { ok: true, seconds: 0 };
      if (step.signal.aborted) throw step.signal.reason;
      worktrees.keep(worktree);
      const built: BuildJobResult = {
        kind: 'built',
        host: hostname(),
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
      throw error;
    } finally {
      step.done();
      await worktree?.remove().catch(() => {});
    }
  };
}
