import { randomUUID } from 'node:crypto';
import {
  type BisectSpec,
  DEFAULT_REGRESSION,
  DEFAULT_WATCH_ALPHA,
  DEFAULT_WATCH_SAMPLES,
  decisionSetup,
  isMailTarget,
  isWebhookTarget,
  type JobOwner,
  ownerKey,
  WatchJob,
  type WatchRecord,
  type WatchRun,
} from '@kbisect/contracts';
import {
  BisectCancelled,
  type Direction,
  median,
  OracleFailed,
  regressionSinceLastGood,
  type Sample,
  sampleValue,
  type TipRegressionRule,
} from '@kbisect/core';
import type { WebhookNotifier } from '@kbisect/notify';
import {
  type BisectStarter,
  COALESCED,
  createBisect,
  newBisectId,
  type WatchRunAttempt,
  WatchRunLeaseLost,
} from '@kbisect/queue';
import { DelayedError, type Job, UnrecoverableError, WaitingError } from 'bullmq';
import type { Logger } from 'pino';
import Value from 'typebox/value';
import type { LocalWorktrees } from '../build/local-worktrees.js';
import {
  type ServiceEnvironmentOptions,
  type ServicePrepared,
  serviceEnvironment,
} from '../coordinator/service-environment.js';
import { LostLock } from '../errors/lost-lock.js';
import { interruptCause } from '../errors/step-interrupted.js';
import type { Interrupts } from '../interrupts.js';

export interface WatchProcessorOptions extends BisectStarter {
  queueEvents: ServiceEnvironmentOptions['queueEvents'];
  /** Where this host's build jobs keep `lab: local` worktrees; the run removes its own. */
  worktrees: LocalWorktrees;
  interrupts: Interrupts;
  /** Absent: notification targets are recorded as not notified. */
  notifier?: WebhookNotifier;
  /** The worker's job lock: a run's lease on its watch lives twice as long, renewed. */
  lockDurationMs: number;
  /** How long a run waits before it looks again whether its watch's other run has ended. */
  busyRetryMs?: number;
  log: Logger;
}

/** Run ids are job ids made safe for labels, keys and job ids (scheduler job ids contain ':'). */
export const runIdOf = (jobId: string) => jobId.replace(/[^A-Za-z0-9_.-]/g, '-');

/**
 * One run of a watch, a small coordinator: fetch the branch, queue a build job for its tip
 * and lab-test jobs for its samples, exactly as a bisect step does (the same queues, so the
 * same build specs and labs: a kernel built tonight and kexec'd on the lab), compare with the
 * last good run, and on a regression start a bisect between the last good commit and the
 * tip. The run is recorded whatever happens. A job run again (after a crash, or handed back
 * at shutdown) keeps its run id, so it re-attaches to its build and lab-test jobs and to its
 * lease. An attempt that lost its job lock (its worker stalled; the job runs again elsewhere)
 * or its lease stops at once and gives back nothing: what the run holds is the new attempt's.
 */
export function watchProcessor(options: WatchProcessorOptions) {
  const { stores, interrupts } = options;
  return async (job: Job<WatchJob>, token?: string, bullSignal?: AbortSignal) => {
    if (!Value.Check(WatchJob, job.data)) {
      throw new UnrecoverableError(`watch job ${job.id}: payload does not match`);
    }
    const watch = await stores.watches.get(job.data.watchId);
    if (!watch) {
      // A scheduler that outlived its watch (deleted while the job was waiting).
      await options.queues.watch.removeJobScheduler(job.data.watchId).catch(() => {});
      return { status: 'no-watch' };
    }
    const runId = runIdOf(job.id ?? `${watch.id}-${Date.now()}`);
    // The job's lock token names this attempt of the run: another worker's run of the job
    // has its own, and takes the lease over from this one.
    const attempt: WatchRunAttempt = { runId, attemptId: token ?? randomUUID() };
    const owner: JobOwner = { watchId: watch.id, runId };
    const log = options.log.child(owner);
    const leaseMs = 2 * options.lockDurationMs;
    // Runs that wait go in the order they were due: the tick's time, or when "run now" was asked.
    const due = job.timestamp + (job.opts.delay ?? 0);
    const { trigger } = job.data;
    const busyWith = await stores.watchRuns.acquire(watch.id, attempt, leaseMs, { due, trigger });
    if (busyWith === COALESCED) {
      log.info(`watch ${watch.id}: tick ${runId} is covered by a scheduled run already waiting`);
      return { status: 'coalesced' };
    }
    if (busyWith !== undefined) {
      if (!token)
        throw new Error(`watch ${watch.id}: run ${busyWith} goes first, no job token to wait`);
      // Waits in BullMQ's delayed set, not on this worker: other watches' runs go on.
      log.info(`watch ${watch.id}: run ${runId} waits; run ${busyWith} goes first`);
      await job.moveToDelayed(Date.now() + (options.busyRetryMs ?? 2_000), token);
      throw new DelayedError();
    }
    const renewal = setInterval(() => {
      stores.watchRuns.renew(watch.id, attempt, leaseMs).catch((error: unknown) => {
        if (!(error instanceof WatchRunLeaseLost)) {
          log.warn({ err: error }, 'cannot renew the watch run lease');
          return;
        }
        // Another attempt or run holds it now and counts: this one stops as a lost lock does.
        log.warn(error.message);
        if (job.id) interrupts.stopRun(job.queueName, job.id, 'lost-lock');
      });
    }, options.lockDurationMs / 2);
    const holdsLease = () => stores.watchRuns.holds(watch.id, attempt);
    try {
      return await runOnce(job, token, bullSignal, watch, runId, owner, holdsLease, log);
    } finally {
      clearInterval(renewal);
      // Only if this attempt holds it: a stale attempt's release does nothing.
      await stores.watchRuns.release(watch.id, attempt).catch(() => {});
    }
  };

  async function runOnce(
    job: Job<WatchJob>,
    token: string | undefined,
    bullSignal: AbortSignal | undefined,
    watch: WatchRecord,
    runId: string,
    owner: JobOwner,
    holdsLease: () => Promise<boolean>,
    log: Logger,
  ) {
    const scheduledFor =
      job.data.trigger === 'schedule' ? job.timestamp + (job.opts.delay ?? 0) : undefined;
    // A job run again keeps what its first attempt recorded: its start, the bisect it began.
    const earlier = await stores.watches.getRun(watch.id, runId);
    let run: WatchRun = {
      ...(earlier?.bisectId ? { bisectId: earlier.bisectId } : {}),
      id: runId,
      watchId: watch.id,
      trigger: job.data.trigger,
      status: 'running',
      startedAt: earlier?.startedAt ?? new Date().toISOString(),
      ...(scheduledFor !== undefined ? { scheduledFor } : {}),
    };
    await stores.watches.putRun(run);
    // A coordinator's role: handed back at once on shutdown, its jobs go on without it.
    const step = interrupts.open(ownerKey(owner), [bullSignal], {
      role: 'coordinator',
      causes: ['shutdown', 'lost-lock'],
    });
    // A stopped attempt writes nothing more: the run record is the next attempt's now.
    const throwIfStopped = () => {
      if (step.signal.aborted) throw step.signal.reason;
    };
    const save = async (fields: Partial<WatchRun>) => {
      throwIfStopped();
      run = { ...run, ...fields };
      await stores.watches.putRun(run);
    };
    const context: RunContext = {
      options,
      watch,
      owner,
      current: () => run,
      save,
      throwIfStopped,
      holdsLease,
      log,
    };
    try {
      return { status: await measureAndCompare(context, step.signal) };
    } catch (error) {
      const cause = interruptCause(step.signal);
      if (cause === 'shutdown' && token) {
        log.info('worker shutting down: the watch run goes back to the queue');
        await job.moveToWait(token);
        throw new WaitingError();
      }
      if (cause === 'lost-lock') {
        log.warn('another attempt runs this watch run now: this one stops without writing');
        throw new LostLock(`watch run ${runId}`);
      }
      const message = error instanceof Error ? error.message : String(error);
      log.error({ err: error }, `watch run failed: ${message}`);
      await notify(context, { status: 'error', message, finishedAt: new Date().toISOString() });
      return { status: 'error' };
    } finally {
      step.done();
    }
  }
}

interface RunContext {
  options: WatchProcessorOptions;
  watch: WatchRecord;
  owner: JobOwner;
  current: () => WatchRun;
  /** Records the fields, unless this attempt was stopped (it throws the reason). */
  save: (fields: Partial<WatchRun>) => Promise<void>;
  throwIfStopped: () => void;
  /** Whether this attempt still holds the watch's lease (a stale one gives back nothing). */
  holdsLease: () => Promise<boolean>;
  log: Logger;
}

async function measureAndCompare(context: RunContext, signal: AbortSignal): Promise<string> {
  const { options, watch, save, log } = context;
  const { stores } = options;
  const { spec } = watch;
  const repository = await options.repositories.get(spec.repo);
  await repository.fetch();
  const tip = await repository.resolveRef(spec.branch);
  const info = await repository.commitInfo(tip);
  await save({ commit: tip, subject: info.subject });
  log.info(`watch ${watch.id}: measuring ${spec.branch} at ${tip.slice(0, 12)} ${info.subject}`);

  const measured = await measureTip(context, tip, signal);
  if (measured.kind === 'build-failed') {
    log.warn(`watch ${watch.id}: ${tip.slice(0, 12)} does not build; no bisect on a guess`);
    await notify(context, {
      status: 'build-failed',
      message: measured.message,
      finishedAt: new Date().toISOString(),
    });
    return 'build-failed';
  }
  if (measured.kind === 'oracle-failed') {
    await notify(context, {
      status: 'oracle-failed',
      message: measured.message,
      samples: measured.values,
      finishedAt: new Date().toISOString(),
    });
    return 'oracle-failed';
  }
  const { values } = measured;
  await save({ samples: values, median: median(values) });

  const last = watch.lastGood
    ? await stores.watches.getRun(watch.id, watch.lastGood.runId)
    : undefined;
  if (!watch.lastGood || !last?.samples || last.samples.length === 0 || last.commit === undefined) {
    log.info(`watch ${watch.id}: first good run, baseline median ${median(values)}`);
    return good(context);
  }
  const verdict = regressionSinceLastGood(last.samples, values, ruleOf(watch));
  await save({
    baseline: { runId: last.id, commit: last.commit, median: median(last.samples) },
    // JSON has no infinity (a change from a zero median): the summary says it in words.
    ...(verdict.changePercent !== undefined && Number.isFinite(verdict.changePercent)
      ? { changePercent: verdict.changePercent }
      : {}),
    ...(verdict.pValue !== undefined ? { pValue: verdict.pValue } : {}),
  });
  if (!verdict.regression) {
    log.info(`watch ${watch.id}: no regression (${verdict.summary})`);
    return good(context);
  }
  if (last.commit === tip) {
    // The same commit measures worse than it did: what changed is the lab or the test, and
    // there is no range to bisect. Said as such, and the last good run stays the baseline.
    const message = `${verdict.summary}; ${tip.slice(0, 12)} is the last good run's commit: the lab or the test changed, not the code, so there is nothing to bisect`;
    log.warn(`watch ${watch.id}: ${message}`);
    await notify(context, { status: 'regression', message, finishedAt: new Date().toISOString() });
    return 'regression';
  }
  log.warn(`watch ${watch.id}: regression since ${last.commit.slice(0, 12)}: ${verdict.summary}`);
  const bisectId = await startBisect(context, last.commit, tip);
  await notify(context, {
    status: 'regression',
    message: verdict.summary,
    ...(bisectId ? { bisectId } : {}),
    finishedAt: new Date().toISOString(),
  });
  return 'regression';
}

type Measured =
  | { kind: 'measured'; values: number[] }
  | { kind: 'build-failed'; message: string }
  | { kind: 'oracle-failed'; message: string; values: number[] };

/**
 * The tip through the build and lab-test queues: one build job, then one lab-test job per
 * sample, with job ids of this run (`ownerKey`), as a bisect step of the same spec would.
 */
async function measureTip(
  context: RunContext,
  tip: string,
  signal: AbortSignal,
): Promise<Measured> {
  const { options, watch, owner, save, log } = context;
  const { spec } = watch;
  const env = serviceEnvironment({
    owner,
    spec,
    queues: options.queues,
    queueEvents: options.queueEvents,
    worktrees: options.worktrees,
    artifacts: options.stores.artifacts,
    // One step, always the first: a run asks for the same job ids every time it is run.
    journalLength: () => 0,
    control: options.stores.control,
    log,
  });
  let prepared: ServicePrepared | undefined;
  try {
    prepared = await env.prepare(tip, signal);
    const { build } = prepared;
    const kernel = prepared.artifact.kernel;
    await save({
      buildSeconds: build.seconds,
      ...(build.ok || !build.logTail ? {} : { buildLogTail: build.logTail }),
      ...(kernel
        ? {
            kernel: {
              release: kernel.release,
              sha256: kernel.sha256,
              ...(build.signature ? { signature: build.signature } : {}),
              buildSeconds: build.seconds,
            },
          }
        : {}),
    });
    if (!build.ok) {
      return {
        kind: 'build-failed',
        message: build.timedOut ? 'the build timed out' : 'the tip does not build',
      };
    }
    const { direction } = decisionSetup(spec.oracle, spec.decision);
    const values: number[] = [];
    const n = spec.samples ?? DEFAULT_WATCH_SAMPLES;
    for (let i = 0; i < n; i++) {
      let sample: Sample;
      try {
        sample = await env.measure(prepared, signal);
      } catch (error) {
        if (!(error instanceof OracleFailed)) throw error;
        return { kind: 'oracle-failed', message: error.message, values };
      }
      values.push(figureOf(spec.oracle.kind, sample, direction));
    }
    return { kind: 'measured', values };
  } catch (error) {
    // The environment says a stopped step is a cancelled bisect; here the signal says why.
    if (error instanceof BisectCancelled && signal.aborted) throw signal.reason;
    throw error;
  } finally {
    // What the run holds is given back by owner, and a run again (handed back at shutdown, or
    // run by another worker after this one lost its lock) has the same owner: an interrupted
    // attempt, or one whose lease another attempt took, gives back nothing.
    if (!signal.aborted && (await context.holdsLease().catch(() => false))) {
      if (prepared) await env.release(prepared).catch(() => {});
      await env.settled();
      await options.worktrees.releaseOwner(owner).catch(() => {});
    }
  }
}

/** The rule of the watch's spec for its oracle: exit codes for a command, else the median's. */
function ruleOf(watch: WatchRecord): TipRegressionRule {
  const { spec } = watch;
  if (spec.oracle.kind === 'command') return { kind: 'exit-codes' };
  const rule = spec.regression ?? DEFAULT_REGRESSION;
  return {
    kind: 'median-drop',
    direction: decisionSetup(spec.oracle, spec.decision).direction,
    maxDropPercent: rule.maxDropPercent,
    alpha: rule.alpha ?? DEFAULT_WATCH_ALPHA,
  };
}

/** A command oracle's exit code, or the metric's value (a hang as the worst value). */
function figureOf(kind: string, sample: Sample, direction: Direction): number {
  if (kind === 'command') return sample.hang ? 255 : (sample.exitCode ?? 0);
  return sampleValue(sample, direction);
}

async function good(context: RunContext): Promise<string> {
  const { options, watch, current, save } = context;
  await noticeFix(context).catch((error: unknown) =>
    context.log.warn({ err: (error as Error).message }, 'could not record the fix'),
  );
  const at = new Date().toISOString();
  context.throwIfStopped();
  // The watch first: a run that reads as good is already the one the next runs compare with.
  const run = current();
  await options.stores.watches.setLastGood(watch.id, {
    runId: run.id,
    commit: run.commit as string,
    at,
  });
  await save({ status: 'good', finishedAt: at });
  return 'good';
}

/**
 * Good again after a regression: the commits since the regressed tip hold its fix. Recorded
 * on the bisect of that regression (as `kbisect fixed` would, by the watch), so its reports
 * say it was fixed and in which range; a fix already recorded by a person is kept.
 */
async function noticeFix({ options, watch, current, log }: RunContext): Promise<void> {
  const run = current();
  const tip = run.commit;
  if (!tip) return;
  // The run before this one that reached a verdict: a regression means it is fixed now.
  const previous = (await options.stores.watches.runs(watch.id, 50)).find(
    (r) => r.id !== run.id && (r.status === 'good' || r.status === 'regression'),
  );
  if (previous?.status !== 'regression' || !previous.bisectId || !previous.commit) return;
  const bisect = await options.stores.bisects.get(previous.bisectId);
  const status = bisect?.result?.status;
  if (!bisect || bisect.fix || (status !== 'found' && status !== 'inconclusive')) return;
  const repository = await options.repositories.get(watch.spec.repo);
  const culprit = bisect.result?.culprit;
  if (culprit && !(await repository.isAncestor(culprit, tip))) return;
  const info = await repository.commitInfo(tip);
  await options.stores.bisects.update(bisect.id, {
    fix: {
      commit: tip,
      subject: info.subject,
      describe: info.describe,
      by: `watch:${watch.id}`,
      at: new Date().toISOString(),
      note: `measured good again by run ${run.id}; the fix is in ${previous.commit.slice(0, 12)}..${tip.slice(0, 12)}`,
    },
  });
  log.info(
    { bisectId: bisect.id, fix: tip },
    `watch ${watch.id}: good again at ${tip.slice(0, 12)}, recorded as the fix of bisect ${bisect.id}`,
  );
}

/**
 * The bisect between the last good commit and the tip, through `createBisect` as
 * `POST /v1/bisects` does, labelled with the watch and the run. A tip already being bisected
 * (the regression is still there the next night) does not start a second one.
 */
async function startBisect(
  context: RunContext,
  lastGood: string,
  tip: string,
): Promise<string | undefined> {
  const { options, watch, current, save, log } = context;
  const { stores } = options;
  const run = current();
  const earlier = (await stores.watches.runs(watch.id, 20)).find(
    (r) => r.id !== run.id && r.status === 'regression' && r.commit === tip && r.bisectId,
  );
  if (earlier?.bisectId) {
    log.info(`watch ${watch.id}: ${tip.slice(0, 12)} is already bisected by ${earlier.bisectId}`);
    return earlier.bisectId;
  }
  // The id is recorded before the bisect exists: a run retried after a crash in between
  // creates the bisect its first attempt named, and one retried after it finds it.
  const id = run.bisectId ?? newBisectId();
  if (await stores.bisects.get(id)) return id;
  await save({ bisectId: id });
  const { spec } = watch;
  const mails = (spec.notify ?? []).filter(isMailTarget);
  const bisect: BisectSpec = {
    repo: spec.repo,
    good: lastGood,
    bad: tip,
    oracle: spec.oracle,
    ...(spec.build ? { build: spec.build } : {}),
    ...(spec.lab ? { lab: spec.lab } : {}),
    ...(spec.decision ? { decision: spec.decision } : {}),
    ...(spec.firstParent !== undefined ? { firstParent: spec.firstParent } : {}),
    ...(spec.confirm !== undefined ? { confirm: spec.confirm } : {}),
    ...(spec.recipe ? { recipe: spec.recipe } : {}),
    ...(mails.length ? { notify: mails } : {}),
    labels: { ...spec.labels, watchId: watch.id, runId: run.id },
  };
  await createBisect(options, { spec: bisect, submittedBy: `watch:${watch.id}`, id });
  log.info(
    { bisectId: id },
    `watch ${watch.id}: bisect ${id} started between ${lastGood.slice(0, 12)} and ${tip.slice(0, 12)}`,
  );
  return id;
}

/** `watch.regression` to the watch's targets, for a regression and for a tip that failed. */
async function notify(
  { options, watch, current, save, throwIfStopped, log }: RunContext,
  final: Partial<WatchRun>,
): Promise<void> {
  throwIfStopped();
  const ended = { ...current(), ...final };
  // Mail targets go with the bisect a regression starts; the run's event goes to webhooks.
  const targets = (watch.spec.notify ?? []).filter(isWebhookTarget);
  let notified: string[] | undefined;
  if (targets.length > 0 && options.notifier) {
    try {
      notified = await options.notifier.notify({
        event: 'watch.regression',
        // The delivery id derives from it: one per regression (bisect) or failed run, and target.
        bisectId: ended.bisectId ?? `${watch.id}.${ended.id}`,
        payload: { watchId: watch.id, run: ended },
        targets,
      });
    } catch (error) {
      log.warn({ err: error }, 'could not queue the watch notification');
    }
  }
  // The final status last, with the deliveries: a run that reads as ended is complete.
  await save({ ...final, ...(notified ? { notified } : {}) });
}
