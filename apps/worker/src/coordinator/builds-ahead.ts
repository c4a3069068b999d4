import type { Job, QueueEvents } from 'bullmq';
import type { Logger } from 'pino';

/**
 * BullMQ priority of a build queued ahead: jobs without a priority (every real build) are
 * taken first, so a build ahead only ever uses capacity nothing else wants.
 */
export const AHEAD_PRIORITY = 1000;

interface AheadJob {
  commit: string;
  jobId: string;
  /** The journal length of the step that may take it. */
  step: number;
  queued: Promise<void>;
}

/** The part of the build queue this needs. */
export interface AheadQueue {
  add(name: string, data: object, options: { jobId: string; priority: number }): Promise<unknown>;
  getJob(jobId: string): Promise<Job | undefined>;
}

export interface BuildsAheadOptions {
  queue: AheadQueue;
  events: QueueEvents;
  /** Gives back what a finished build that nobody will test holds (its worktree). */
  release(result: unknown, jobId: string): Promise<void>;
  /**
   * Stops the run of a build job wherever a worker runs it (a `drop-job` notice): the run
   * gives back what it holds and the job fails for good.
   */
  stop(jobId: string): Promise<void>;
  /**
   * Whether this coordinator still runs the bisect; absent: it does. One that lost it drops
   * nothing: the coordinator that took over attaches to the same jobs ahead.
   */
  stillOwner?: () => Promise<boolean>;
  log: Logger;
}

/**
 * Builds started for the next step before it is known which commit it tests (speculative
 * builds, `BisectEnvironment.speculate`). Each is an ordinary build job with the id the next
 * step's `prepare` will ask for, so the step that picks its commit attaches to it (raising it
 * to a real build's priority); the others of that step are dropped: removed while they wait,
 * stopped while they run (their build process killed, what they held given back), given back
 * when they finished. Builds ahead of later steps (queued while this step's own build runs)
 * are kept for them. A coordinator restarted mid-step attaches the same way, and its jobs
 * ahead that no step takes are dropped when the bisect ends.
 */
export class BuildsAhead {
  readonly #jobs = new Map<string, AheadJob>();
  readonly #dropping = new Set<Promise<void>>();
  /** Jobs a step attached to: never dropped, even by an earlier drop still on its way. */
  readonly #adopted = new Set<string>();

  constructor(private readonly options: BuildsAheadOptions) {}

  /** Queues the build of `commit` as `jobId`, for the step at journal length `step`, once. */
  start(commit: string, jobId: string, step: number, data: object): Promise<void> {
    const known = this.#jobs.get(jobId);
    if (known) return known.queued;
    const { queue, log } = this.options;
    const queued = queue
      .add('build', data, { jobId, priority: AHEAD_PRIORITY })
      .then(() => log.info({ commit, job: jobId }, `build ahead: ${commit.slice(0, 12)}`))
      .catch((error: unknown) =>
        log.warn({ err: error, job: jobId }, 'cannot queue a build ahead'),
      );
    this.#jobs.set(jobId, { commit, jobId, step, queued });
    return queued;
  }

  /**
   * The step at journal length `step` now builds `commit` as `jobId`: a build ahead of it
   * becomes a real build (its priority raised, should it still wait), and every other build
   * ahead of this step or an earlier one is dropped.
   */
  async adopt(commit: string, jobId: string, step: number): Promise<void> {
    const taken = this.#jobs.get(jobId);
    // A round of several commits (more labs came up) may build a commit dropped a moment ago
    // for another commit of the same round: same job id, so the drop must leave it.
    this.#adopted.add(jobId);
    for (const job of [...this.#jobs.values()]) {
      if (job.step > step) continue;
      this.#jobs.delete(job.jobId);
      if (job !== taken) this.#drop(job);
    }
    if (!taken) return;
    await taken.queued;
    const job = await this.options.queue.getJob(jobId);
    if (job && (await job.getState()) === 'prioritized') await job.changePriority({ priority: 0 });
    this.options.log.info(
      { commit, job: jobId },
      `build of ${commit.slice(0, 12)} was started ahead: the step attaches to it`,
    );
  }

  /** Drops every build ahead and waits until what they held is given back. */
  async dropAll(): Promise<void> {
    for (const job of this.#jobs.values()) this.#drop(job);
    this.#jobs.clear();
    await Promise.allSettled([...this.#dropping]);
  }

  #drop(ahead: AheadJob): void {
    const dropping = this.#dropJob(ahead).catch((error: unknown) =>
      this.options.log.warn({ err: error, job: ahead.jobId }, 'cannot drop a build ahead'),
    );
    this.#dropping.add(dropping);
    void dropping.finally(() => this.#dropping.delete(dropping));
  }

  async #dropJob({ commit, jobId, queued }: AheadJob): Promise<void> {
    const { log } = this.options;
    await queued;
    const job = await this.options.queue.getJob(jobId);
    if (!job) return;
    const state = await job.getState();
    if (this.#adopted.has(jobId)) return;
    if (this.options.stillOwner && !(await this.options.stillOwner())) {
      log.info(
        { job: jobId },
        `build ahead of ${commit.slice(0, 12)} kept: another coordinator runs this bisect now`,
      );
      return;
    }
    if (state === 'waiting' || state === 'prioritized' || state === 'delayed') {
      // A job taken by a worker between the two calls cannot be removed: stop it instead.
      const removed = await job.remove().then(
        () => true,
        () => false,
      );
      if (removed) {
        log.info({ job: jobId }, `build ahead of ${commit.slice(0, 12)} dropped`);
        return;
      }
    }
    if (state === 'failed') return;
    if (state !== 'completed') {
      // Running: its worker kills the build and gives back what it held; a build that ends
      // before the notice arrives is given back below like a finished one.
      await this.options.stop(jobId);
      log.info({ job: jobId }, `build ahead of ${commit.slice(0, 12)} running: stopping it`);
    }
    const result = state === 'completed' ? job.returnvalue : await this.#finished(job);
    await this.options.release(result, jobId);
    log.info(
      { job: jobId },
      `build ahead of ${commit.slice(0, 12)} not needed: ${result === undefined ? 'stopped' : 'its worktree is given back'}`,
    );
  }

  async #finished(job: Job): Promise<unknown> {
    return job.waitUntilFinished(this.options.events).catch(() => undefined);
  }
}
