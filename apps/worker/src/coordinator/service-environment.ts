import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import {
  type BisectSpec,
  type BuildJob,
  BuildJobResult,
  buildCommandOf,
  buildJobId,
  type JobOwner,
  type KernelArtifactRef,
  kernelBuildOf,
  type LabTestJob,
  LabTestJobResult,
  labTestJobId,
  labTestQueueOf,
  oracleFailedOf,
  ownerKey,
  ownerText,
  type Quantity,
} from '@kbisect/contracts';
import {
  BisectCancelled,
  type BisectEnvironment,
  type PreparedCommit,
  type Sample,
} from '@kbisect/core';
import { isSlotPath, slotProblem } from '@kbisect/git';
import type { ArtifactStore, ControlChannel, Queues } from '@kbisect/queue';
import type { QueueEvents } from 'bullmq';
import type { Logger } from 'pino';
import type { Static, TSchema } from 'typebox';
import Value from 'typebox/value';
import type { LocalWorktrees } from '../build/local-worktrees.js';
import { StepInterrupted } from '../errors/step-interrupted.js';
import { BuildsAhead } from './builds-ahead.js';
import { runChildJob } from './child-job.js';
import type { QueueEventsByName } from './queue-events-by-name.js';
import { sampleLab } from './sample-lab.js';
import { SlotRebuilds } from './slot-rebuilds.js';

export interface ServicePrepared extends PreparedCommit {
  artifact: { host: string; worktree: string; kernel?: KernelArtifactRef };
  buildJob: string;
  /** The commit reverted on top (the revert check): a rebuild builds the same. */
  revert?: string;
  /** Samples requested so far: the index of the next lab-test job. */
  samples: number;
  /**
   * The lab of a pool that ran the first sample: the later ones go to its own queue, so one
   * commit is measured on one machine. Known from the first lab-test job's result, which a
   * restarted coordinator reads back from Redis: the same lab again.
   */
  lab?: string;
}

export interface ServiceEnvironment extends BisectEnvironment<ServicePrepared> {
  /** Resolves when the child jobs this environment is waiting for have ended. */
  settled(): Promise<void>;
  /** What the oracle's numbers are, as the lab-test jobs reported it. */
  quantity(): Quantity | undefined;
}

/** What a step needs of a bisect spec; a watch's spec has the same fields. */
export type StepSpec = Pick<BisectSpec, 'repo' | 'build' | 'lab' | 'oracle'>;

export interface ServiceEnvironmentOptions {
  /** The bisect, or the watch run, the jobs work for: their ids start with its key. */
  owner: JobOwner;
  spec: StepSpec;
  queues: Queues;
  queueEvents: { build: QueueEvents; labTest: QueueEventsByName };
  worktrees: LocalWorktrees;
  /** Where build jobs publish kernels: a re-attached build whose kernel is gone is redone. */
  artifacts: Pick<ArtifactStore, 'has'>;
  /** Entries in the journal now (0 for a watch run): part of every job id, see `buildJobId`. */
  journalLength(): number;
  /** Commits a round may test at once (`BisectEnvironment.testSlots`); absent: one. */
  testSlots?: () => Promise<number>;
  /** Whether a lab is up (not marked down); absent: every lab is. */
  labIsUp?: (lab: string) => Promise<boolean>;
  /**
   * Whether this process still runs the owner (a bisect: its coordinator job's lock); absent:
   * it does. A coordinator that lost it gives nothing back: the one that took over attaches
   * to the same build jobs and tests in the same slots, and a hold is given back by job.
   */
  stillOwner?: () => Promise<boolean>;
  /** Where a build ahead that no step needs is stopped, wherever its worker runs. */
  control: Pick<ControlChannel, 'publish'>;
  log: Logger;
}

/**
 * The bisect loop's world in the service: `prepare` is a build job, each `measure` a lab-test
 * job, both with ids derived from the journal so a restarted coordinator re-attaches to them.
 * A watch run uses the same environment for its tip: the same jobs, the same queues.
 */
export function serviceEnvironment(options: ServiceEnvironmentOptions): ServiceEnvironment {
  const { owner, spec, queues, queueEvents, worktrees, log } = options;
  const jobIdPrefix = ownerKey(owner);
  const build = buildCommandOf(spec);
  const kernel = kernelBuildOf(spec);
  const occurrences = new Map<string, number>();
  const inFlight = new Set<Promise<unknown>>();
  const thisHost = hostname();
  let quantity: Quantity | undefined;
  const slotRebuilds = new SlotRebuilds();

  /**
   * Build job `jobId`'s slot no longer holds its build: said in the owner's event stream, and
   * the caller builds the commit again; past the bound the step stops (`SlotRebuilds`).
   */
  const slotMovedOn = (commit: string, jobId: string, problem: string) => {
    const next = slotRebuilds.next(jobId, commit, problem);
    if (next.kind === 'give-up') throw next.error;
    log.warn({ commit, job: jobId, problem, rebuild: next.rebuild }, next.message);
  };

  /** Gives back the slot a build job of this owner holds, unless the owner moved on. */
  const releaseWorktree = async (worktree: string, jobId: string) => {
    if (options.stillOwner && !(await options.stillOwner())) {
      log.info({ job: jobId }, `${worktree} kept: another coordinator runs this bisect now`);
      return;
    }
    await worktrees.release(worktree, { owner, job: jobId });
  };

  const track = <T>(promise: Promise<T>): Promise<T> => {
    inFlight.add(promise);
    const forget = () => inFlight.delete(promise);
    promise.then(forget, forget);
    return promise;
  };

  /**
   * A build result that can no longer be used is built again: its worktree is gone (released
   * before a crash), its build slot no longer holds what job `jobId` checked out there (given
   * back and taken for another commit, or changed since), or its kernel is gone from Redis
   * (unused past `artifacts.ttlSeconds` while no coordinator ran, or reported before kernels
   * carried a sha256). For a kernel the builder's cache makes that a publish, not a compile.
   */
  const isStale = async (result: unknown, commit: string, jobId: string) => {
    if (!Value.Check(BuildJobResult, result)) return kernel !== undefined;
    if (result.kind !== 'built') return false;
    const { kernel: built } = result;
    const files = built ? [built, ...(built.modules ? [built.modules] : [])] : [];
    for (const file of files) if (!(await options.artifacts.has(file.sha256))) return true;
    if (kernel || result.host !== thisHost) return false;
    if (!isSlotPath(result.worktree)) return !existsSync(result.worktree);
    const expected = { owner: ownerText(owner), job: jobId, commit, clean: true };
    const problem = await slotProblem(result.worktree, expected);
    if (problem) slotMovedOn(commit, jobId, problem);
    return problem !== undefined;
  };

  const buildJobData = (commit: string, revert?: string): BuildJob => ({
    owner,
    repo: spec.repo,
    commit,
    timeoutMs: kernel?.timeoutMs ?? build?.timeoutMs ?? 60_000,
    ...(build ? { command: build.command } : {}),
    ...(build?.network ? { network: true } : {}),
    ...(build && build.ccache !== 'auto' ? { ccache: build.ccache } : {}),
    ...(kernel ? { kernel } : {}),
    ...(revert ? { revert } : {}),
  });

  // Builds queued ahead for the next step (`speculate`), at a lower priority than real ones.
  const ahead = new BuildsAhead({
    queue: queues.build,
    events: queueEvents.build,
    // An abandoned build's worktree goes back at once; a kernel stays in the artifact cache.
    release: async (result, jobId) => {
      if (!Value.Check(BuildJobResult, result) || result.kind !== 'built') return;
      if (kernel || result.host !== thisHost) return;
      await releaseWorktree(result.worktree, jobId);
    },
    stop: (jobId) =>
      options.control.publish({ action: 'drop-job', queue: queues.build.name, jobId }),
    ...(options.stillOwner ? { stillOwner: options.stillOwner } : {}),
    log,
  });

  const runBuild = async (commit: string, revert: string | undefined, signal: AbortSignal) => {
    const kind = revert ? 'revert' : 'build';
    const key = `${options.journalLength()}.${commit}.${kind}`;
    const occurrence = occurrences.get(key) ?? 0;
    occurrences.set(key, occurrence + 1);
    const jobId = buildJobId(jobIdPrefix, options.journalLength(), commit, kind, occurrence);
    if (!revert) await ahead.adopt(commit, jobId, options.journalLength());
    return { jobId, result: await buildAs(jobId, commit, revert, signal) };
  };

  /**
   * Runs build job `jobId`, or attaches to it. `refused`: the worktree a lab test found moved
   * on; a finished result that still names it is built again, even when this host cannot see
   * the slot (the build ran on another host).
   */
  const buildAs = async (
    jobId: string,
    commit: string,
    revert: string | undefined,
    signal: AbortSignal,
    refused?: string,
  ) => {
    const data = buildJobData(commit, revert);
    log.debug({ commit, job: jobId }, 'build job');
    const kind = revert ? 'revert' : 'build';
    const result = await guard(
      track(
        runChildJob(queues.build, queueEvents.build, kind, data, jobId, signal, {
          isStale: async (result) =>
            (refused !== undefined && builtIn(result, refused)) || isStale(result, commit, jobId),
        }),
      ),
    );
    return checked(BuildJobResult, result, jobId);
  };

  /**
   * The lab test found `p`'s build slot moved on: the commit is built again under the same
   * job id, and `p` names the new tree, so this sample and the next are taken there.
   */
  const rebuild = async (p: ServicePrepared, problem: string, signal: AbortSignal) => {
    slotMovedOn(p.commit, p.buildJob, problem);
    const { commit, revert, buildJob, artifact } = p;
    const result = await buildAs(buildJob, commit, revert, signal, artifact.worktree);
    if (result.kind !== 'built' || !result.build.ok) {
      const what = result.kind === 'built' ? 'failed' : `returned ${result.kind}`;
      throw new Error(
        `build job ${buildJob}, run again for ${commit.slice(0, 12)} after its slot moved on, ${what}`,
      );
    }
    p.build = result.build;
    p.artifact = artifactOf(result);
  };

  const prepared = (
    commit: string,
    jobId: string,
    result: Built,
    revert?: string,
  ): ServicePrepared => ({
    commit,
    ...(revert ? { revert } : {}),
    build: result.build,
    artifact: artifactOf(result),
    buildJob: jobId,
    samples: 0,
  });

  const isUp = options.labIsUp ?? (async () => true);

  /** Lab-test job `sampleIndex` of `p`, on `lab`, or its result when it ran already. */
  const labTest = async (
    p: ServicePrepared,
    lab: LabTestJob['lab'],
    sampleIndex: number,
    signal: AbortSignal,
  ): Promise<LabTestJobResult> => {
    const data: LabTestJob = {
      owner,
      commit: p.commit,
      lab,
      oracle: spec.oracle,
      artifact: p.artifact,
      sampleIndex,
    };
    const jobId = labTestJobId(p.buildJob, sampleIndex);
    // Only workers that can run the job take it from this queue (names.ts); the build
    // result says which host holds a `local` job's worktree.
    const queueName = labTestQueueOf(data.lab, p.artifact.host);
    const sent = async () => {
      const events = await queueEvents.labTest.get(queueName);
      const queue = queues.labTest.get(queueName);
      // A test that refused a moved slot is never reused: the commit may be built again since.
      return runChildJob(queue, events, 'sample', data, jobId, signal, {
        isStale: (result) =>
          Value.Check(LabTestJobResult, result) && result.kind === 'slot-moved-on',
      });
    };
    return checked(LabTestJobResult, await guard(track(sent())), jobId);
  };

  const env: ServiceEnvironment = {
    ...(options.testSlots ? { testSlots: options.testSlots } : {}),

    speculate(_testing, next) {
      // The next step's job ids: the journal will have one more entry, the testing commit's.
      const length = options.journalLength() + 1;
      for (const commit of next) {
        const jobId = buildJobId(jobIdPrefix, length, commit, 'build', 0);
        track(ahead.start(commit, jobId, length, buildJobData(commit)));
      }
    },

    async prepare(commit, signal) {
      const { jobId, result } = await runBuild(commit, undefined, signal);
      if (result.kind !== 'built') throw new Error(`build job ${jobId} returned ${result.kind}`);
      return prepared(commit, jobId, result);
    },

    async prepareRevert(onto, commit, signal) {
      const { jobId, result } = await runBuild(onto, commit, signal);
      if (result.kind === 'revert-conflict') {
        log.info(
          { commit, onto, conflicts: result.conflicts },
          'the revert does not apply cleanly',
        );
        return null;
      }
      return prepared(onto, jobId, result, commit);
    },

    async measure(p, signal): Promise<Sample> {
      const sampleIndex = p.samples++;
      const target = await sampleLab(spec.lab ?? 'local', sampleIndex, p.lab, isUp);
      let result = await labTest(p, target, sampleIndex, signal);
      while (result.kind === 'slot-moved-on') {
        // A test queued before a restarted coordinator built the commit again refused the
        // old tree: only a refusal of the tree `p` names now asks for another build.
        if (result.worktree === p.artifact.worktree) await rebuild(p, result.problem, signal);
        else
          log.info(
            { commit: p.commit },
            `testing ${p.commit.slice(0, 12)} in ${p.artifact.worktree} instead`,
          );
        result = await labTest(p, target, sampleIndex, signal);
      }
      if (result.kind === 'oracle-failed') throw oracleFailedOf(result);
      if (result.quantity) quantity = result.quantity;
      const lab = result.sample.detail?.lab;
      if (sampleIndex === 0 && typeof lab === 'string') p.lab = lab;
      return result.sample;
    },

    async release(p) {
      // A kernel stays in the builder's artifact cache; only worktrees are removed.
      if (kernel) return;
      if (p.artifact.host !== thisHost) {
        log.warn(
          { commit: p.commit, host: p.artifact.host },
          'worktree on another host left behind',
        );
        return;
      }
      await releaseWorktree(p.artifact.worktree, p.buildJob);
    },

    async settled() {
      await ahead.dropAll();
      await Promise.allSettled([...inFlight]);
    },

    quantity: () => quantity,
  };
  return env;
}

/** A job result read back from Redis, checked against its queue's schema. */
function checked<T extends TSchema>(schema: T, value: unknown, jobId: string): Static<T> {
  if (!Value.Check(schema, value)) {
    throw new Error(`job ${jobId} returned a result that does not match its schema`);
  }
  return value;
}

/** The loop expects `BisectCancelled` when its signal stops a step; the cause stays on the signal. */
async function guard<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof StepInterrupted) throw new BisectCancelled();
    throw error;
  }
}

type Built = Extract<BuildJobResult, { kind: 'built' }>;

/** Where a build left its commit, as a lab-test job names it. */
function artifactOf(result: Built): ServicePrepared['artifact'] {
  return {
    host: result.host,
    worktree: result.worktree,
    ...(result.kernel ? { kernel: result.kernel } : {}),
  };
}

/** Whether a build job's result is the tree at `worktree`. */
function builtIn(result: unknown, worktree: string): boolean {
  return (
    Value.Check(BuildJobResult, result) && result.kind === 'built' && result.worktree === worktree
  );
}
