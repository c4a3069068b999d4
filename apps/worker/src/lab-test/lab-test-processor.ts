import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import {
  LabTestJob,
  type LabTestJobResult,
  oracleFailedResult,
  ownerKey,
  ownerText,
} from '@kbisect/contracts';
import { OracleFailed } from '@kbisect/core';
import { isSlotPath, slotProblem } from '@kbisect/git';
import { ownerWithdrawn, type Stores } from '@kbisect/queue';
import { type Job, UnrecoverableError, WaitingError } from 'bullmq';
import type { Logger } from 'pino';
import Value from 'typebox/value';
import { ArtifactMissing } from '../errors/artifact-missing.js';
import { LabNotServed } from '../errors/lab-not-served.js';
import { LostLock } from '../errors/lost-lock.js';
import { interruptCause } from '../errors/step-interrupted.js';
import type { Interrupts } from '../interrupts.js';
import type { KexecLabs } from './kexec-labs.js';
import type { Oracles } from './oracles.js';

export interface LabTestProcessorOptions {
  stores: Stores;
  oracles: Oracles;
  interrupts: Interrupts;
  /** The configured kexec labs (`lab: {name}` or `{pool}`); without it only `local` is served. */
  kexecLabs?: KexecLabs;
  log: Logger;
}

/**
 * A lab-test job: one oracle run on a built commit. For `lab: local` it runs in the build's
 * worktree on this host; for a named lab, or any lab of a pool, it boots the built kernel
 * there (KexecLabs). An oracle that cannot measure, or a kernel that does not boot, is a result
 * (the commit is skipped, or bad in a boot bisect, with its output as evidence), and so is a
 * build slot that no longer holds the commit (it is built again); anything else fails the job.
 */
export function labTestProcessor(options: LabTestProcessorOptions) {
  const { stores, oracles, interrupts } = options;
  return async (
    job: Job<LabTestJob, LabTestJobResult>,
    token?: string,
    bullSignal?: AbortSignal,
  ) => {
    if (!Value.Check(LabTestJob, job.data)) {
      throw new UnrecoverableError(`lab-test job ${job.id}: payload does not match LabTestJob`);
    }
    const data = job.data;
    const log = options.log.child({ ...data.owner, commit: data.commit, step: 'test' });
    const lab = data.lab;
    const kexecLab =
      lab !== 'local' && options.kexecLabs?.serves(lab)
        ? { labs: options.kexecLabs, target: lab }
        : undefined;
    // The queues route each job to workers that can run it (names.ts): this is a job sent to
    // the wrong queue by hand, or a lab taken out of this worker's config while it was queued.
    if (lab !== 'local' && !kexecLab) throw new UnrecoverableError(new LabNotServed(lab).message);
    if (!kexecLab && (data.artifact.host !== hostname() || !existsSync(data.artifact.worktree))) {
      throw new UnrecoverableError(
        new ArtifactMissing(data.artifact.worktree, data.artifact.host).message,
      );
    }
    // Before the slot check: a cancelled bisect gave its holds back, and needs no rebuild.
    const withdrawn = await ownerWithdrawn(stores, data.owner);
    if (withdrawn) throw new UnrecoverableError(withdrawn);
    if (!kexecLab && isSlotPath(data.artifact.worktree)) {
      // The guard against testing a stale tree: the build slot must still be held for this
      // owner at this commit. A slot can move on after the build ended (its hold lost, then
      // taken by another build): that is a result, not a failure, and the coordinator builds
      // the commit again (`SlotRebuilds`).
      const expected = { owner: ownerText(data.owner), commit: data.commit };
      const problem = await slotProblem(data.artifact.worktree, expected);
      if (problem) {
        log.warn({ problem }, `not testing ${data.commit.slice(0, 12)}: ${problem}`);
        const worktree = data.artifact.worktree;
        return { kind: 'slot-moved-on', worktree, problem } satisfies LabTestJobResult;
      }
    }
    const step = interrupts.open(ownerKey(data.owner), [bullSignal]);
    try {
      if (kexecLab) {
        const measured = await kexecLab.labs.measure(
          kexecLab.target,
          data.commit,
          data.artifact,
          data.oracle,
          step.signal,
          log,
        );
        if (step.signal.aborted) throw step.signal.reason;
        return {
          kind: 'sample',
          sample: measured.sample,
          ...(measured.quantity ? { quantity: measured.quantity } : {}),
        } satisfies LabTestJobResult;
      }
      const oracle = await oracles.get(data.oracle);
      const sample = await oracle.measure({
        commit: data.commit,
        dir: data.artifact.worktree,
        signal: step.signal,
      });
      if (step.signal.aborted) throw step.signal.reason;
      return {
        kind: 'sample',
        sample,
        ...(oracle.quantity ? { quantity: oracle.quantity } : {}),
      } satisfies LabTestJobResult;
    } catch (error) {
      const cause = interruptCause(step.signal);
      if (cause === 'shutdown' && token) {
        log.info('shutting down: the test goes back to the queue');
        await job.moveToWait(token);
        throw new WaitingError();
      }
      if (cause === 'cancel') throw new UnrecoverableError('bisect cancelled');
      if (cause === 'lost-lock') {
        log.warn('another worker runs this test now: this run stops without writing');
        throw new LostLock(`lab-test job ${job.id}`);
      }
      if (error instanceof OracleFailed) return oracleFailedResult(error);
      throw error;
    } finally {
      step.done();
    }
  };
}
