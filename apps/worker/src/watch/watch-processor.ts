import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { shellBuild } from '@kbisect/build';
import {
  type BuildEvidence,
  type Direction,
  mannWhitneyU,
  median,
  OracleFailed,
  type Sample,
  sampleValue,
} from '@kbisect/core';
import { resolveRange, type Worktree } from '@kbisect/git';
import type { WebhookNotifier } from '@kbisect/notify';
import {
  type BisectRecord,
  type BisectSpec,
  buildCommandOf,
  DEFAULT_REGRESSION,
  DEFAULT_WATCH_ALPHA,
  DEFAULT_WATCH_SAMPLES,
  decisionSetup,
  type Queues,
  queueBisect,
  type Repositories,
  type Stores,
  WatchJob,
  type WatchRecord,
  type WatchRun,
} from '@kbisect/queue';
import { type Job, UnrecoverableError } from 'bullmq';
import type { Logger } from 'pino';
import Value from 'typebox/value';
import type { Oracles } from '../lab-test/oracles.js';

export interface WatchProcessorOptions {
  stores: Stores;
  queues: Queues;
  repositories: Repositories;
  oracles: Oracles;
  /** Worktrees of the runs go under it, one directory per run, removed when it ends. */
  worktreeDir: string;
  /** Absent: notification targets are recorded as not notified. */
  notifier?: WebhookNotifier;
  log: Logger;
}

/** Run ids are job ids made safe for labels and keys (scheduler job ids contain ':'). */
export const runIdOf = (jobId: string) => jobId.replace(/[^A-Za-z0-9_.-]/g, '-');

/**
 * One run of a watch: fetch the branch, build its tip, measure it with the watch's oracle
 * (the build command and oracle of a bisect, in a worktree of this worker), compare with the
 * last good run, and on a regression start a bisect between the last good commit and the tip.
 * The run is recorded whatever happens; a job that stalled and is run again reuses its run id.
 */
export function watchProcessor(options: WatchProcessorOptions) {
  const { stores } = options;
  return async (job: Job<WatchJob>, _token?: string, signal?: AbortSignal) => {
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
    const log = options.log.child({ watchId: watch.id, runId });
    const scheduledFor =
      job.data.trigger === 'schedule' ? job.timestamp + (job.opts.delay ?? 0) : undefined;
    // A job run again after a crash keeps the bisect its first attempt started.
    const earlier = await stores.watches.getRun(watch.id, runId);
    let run: WatchRun = {
      ...(earlier?.bisectId ? { bisectId: earlier.bisectId } : {}),
      id: runId,
      watchId: watch.id,
      trigger: job.data.trigger,
      status: 'running',
      startedAt: new Date().toISOString(),
      ...(scheduledFor !== undefined ? { scheduledFor } : {}),
    };
    await stores.watches.putRun(run);
    const save = async (fields: Partial<WatchRun>) => {
      run = { ...run, ...fields };
      await stores.watches.putRun(run);
    };
    const current = () => run;
    try {
      const outcome = await measureAndCompare(options, watch, current, save, log, signal);
      return { status: outcome };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log.error({ err: error }, `watch run failed: ${message}`);
      await notify(options, watch, current(), save, log, {
        status: 'error',
        message,
        finishedAt: new Date().toISOString(),
      });
      return { status: 'error' };
    }
  };
}

async function measureAndCompare(
  options: WatchProcessorOptions,
  watch: WatchRecord,
  current: () => WatchRun,
  save: (fields: Partial<WatchRun>) => Promise<void>,
  log: Logger,
  jobSignal: AbortSignal | undefined,
): Promise<string> {
  const runId = current().id;
  const { stores } = options;
  const { spec } = watch;
  const signal = jobSignal ?? new AbortController().signal;
  const repository = await options.repositories.get(spec.repo);
  await repository.fetch();
  const tip = await repository.resolveRef(spec.branch);
  const info = await repository.commitInfo(tip);
  await save({ commit: tip, subject: info.subject });
  log.info(`watch ${watch.id}: measuring ${spec.branch} at ${tip.slice(0, 12)} ${info.subject}`);

  const bisectLike = { ...spec, good: tip, bad: tip } as unknown as BisectSpec;
  const build = buildCommandOf(bisectLike);
  const baseDir = join(options.worktreeDir, `watch-${runId}`);
  let worktree: Worktree | undefined;
  const values: number[] = [];
  const { direction } = decisionSetup(spec.oracle, spec.decision);
  try {
    worktree = await repository.addWorktree(tip, { baseDir });
    const evidence: BuildEvidence = build
      ? await shellBuild(build).run({ dir: worktree.path, commit: tip, signal })
      : { ok: true, seconds: 0 };
    await save({
      buildSeconds: evidence.seconds,
      ...(evidence.ok || !evidence.logTail ? {} : { buildLogTail: evidence.logTail }),
    });
    if (!evidence.ok) {
      log.warn(`watch ${watch.id}: ${tip.slice(0, 12)} does not build; no bisect on a guess`);
      await notify(options, watch, current(), save, log, {
        status: 'build-failed',
        message: evidence.timedOut ? 'the build timed out' : 'the tip does not build',
        finishedAt: new Date().toISOString(),
      });
      return 'build-failed';
    }
    const oracle = await options.oracles.get(spec.oracle);
    const n = spec.samples ?? DEFAULT_WATCH_SAMPLES;
    for (let i = 0; i < n; i++) {
      let sample: Sample;
      try {
        sample = await oracle.measure({ commit: tip, dir: worktree.path, signal });
      } catch (error) {
        if (!(error instanceof OracleFailed)) throw error;
        await notify(options, watch, current(), save, log, {
          status: 'oracle-failed',
          message: error.message,
          samples: values,
          finishedAt: new Date().toISOString(),
        });
        return 'oracle-failed';
      }
      values.push(figureOf(spec.oracle.kind, sample, direction));
    }
  } finally {
    await worktree?.remove().catch(() => {});
  }
  await save({ samples: values, median: median(values) });

  const last = watch.lastGood
    ? await stores.watches.getRun(watch.id, watch.lastGood.runId)
    : undefined;
  if (!watch.lastGood || !last?.samples || last.samples.length === 0 || last.commit === undefined) {
    log.info(`watch ${watch.id}: first good run, baseline median ${median(values)}`);
    return good(stores, watch, current(), save);
  }
  const verdict = compare(spec.oracle.kind, last.samples, values, direction, watch);
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
    return good(stores, watch, current(), save);
  }
  log.warn(`watch ${watch.id}: regression since ${last.commit.slice(0, 12)}: ${verdict.summary}`);
  const bisectId = await startBisect(options, watch, current(), last.commit, tip, log);
  await notify(options, watch, current(), save, log, {
    status: 'regression',
    message: verdict.summary,
    ...(bisectId ? { bisectId } : {}),
    finishedAt: new Date().toISOString(),
  });
  return 'regression';
}

async function good(
  stores: Stores,
  watch: WatchRecord,
  run: WatchRun,
  save: (fields: Partial<WatchRun>) => Promise<void>,
): Promise<string> {
  const at = new Date().toISOString();
  // The watch first: a run that reads as good is already the one the next runs compare with.
  await stores.watches.setLastGood(watch.id, { runId: run.id, commit: run.commit as string, at });
  await save({ status: 'good', finishedAt: at });
  return 'good';
}

/** A command oracle's exit code, or the metric's value (a hang as the worst value). */
function figureOf(kind: string, sample: Sample, direction: Direction): number {
  if (kind === 'command') return sample.hang ? 255 : (sample.exitCode ?? 0);
  return sampleValue(sample, direction);
}

interface Comparison {
  regression: boolean;
  summary: string;
  changePercent?: number;
  pValue?: number;
}

/**
 * The watch's rule against the last good run: a command oracle regresses when the tip fails
 * it (git bisect run's exit codes); a metric when its median is worse by more than
 * `maxDropPercent` and the one-sided rank test says the tip is worse at `alpha`.
 */
export function compare(
  kind: string,
  before: number[],
  now: number[],
  direction: Direction,
  watch: Pick<WatchRecord, 'spec'>,
): Comparison {
  if (kind === 'command') {
    const bad = now.filter((code) => code !== 0 && code !== 125);
    return bad.length > 0
      ? { regression: true, summary: `the oracle failed on the tip (exit codes ${bad.join(', ')})` }
      : { regression: false, summary: 'the oracle passes on the tip' };
  }
  const rule = watch.spec.regression ?? DEFAULT_REGRESSION;
  const alpha = rule.alpha ?? DEFAULT_WATCH_ALPHA;
  const m0 = median(before);
  const m1 = median(now);
  // From a zero median (a stall-free good run: 0 ms/s stalled) any change is unboundedly
  // large relative to it; calling it 0% would hide every regression of a stalls watch.
  const change =
    m0 === 0
      ? m1 === 0
        ? 0
        : Math.sign(m1) * Number.POSITIVE_INFINITY
      : ((m1 - m0) / Math.abs(m0)) * 100;
  const drop = direction === 'higher-is-better' ? -change : change;
  const percent = (x: number) =>
    Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${x.toFixed(1)}%` : `${x > 0 ? '+' : '-'}∞ from 0`;
  // "Greater" on the values turned so that larger is better: the last good run is better.
  const better = (v: number[]) => (direction === 'higher-is-better' ? v : v.map((x) => -x));
  const { pValue } = mannWhitneyU(better(before), better(now), { alternative: 'greater' });
  const regression = drop > rule.maxDropPercent && pValue < alpha;
  const summary =
    `median ${m0} → ${m1} (${percent(change)}, ` +
    `worse by ${Number.isFinite(drop) ? `${drop.toFixed(1)}%` : percent(drop)} against a limit of ${rule.maxDropPercent}%), ` +
    `rank test p = ${pValue.toPrecision(3)} (alpha ${alpha})`;
  return { regression, summary, changePercent: change, pValue };
}

/**
 * The bisect between the last good commit and the tip, through the same path as
 * `POST /v1/bisects`, labelled with the watch and the run. A tip already being bisected
 * (the regression is still there the next night) does not start a second one.
 */
async function startBisect(
  options: WatchProcessorOptions,
  watch: WatchRecord,
  run: WatchRun,
  good: string,
  tip: string,
  log: Logger,
): Promise<string | undefined> {
  const { stores, queues } = options;
  const earlier = (await stores.watches.runs(watch.id, 20)).find(
    (r) => r.id !== run.id && r.status === 'regression' && r.commit === tip && r.bisectId,
  );
  if (earlier?.bisectId) {
    log.info(`watch ${watch.id}: ${tip.slice(0, 12)} is already bisected by ${earlier.bisectId}`);
    return earlier.bisectId;
  }
  // A run retried after a crash finds the bisect it started.
  const mine = (await stores.watches.getRun(watch.id, run.id))?.bisectId;
  if (mine) return mine;
  const { spec } = watch;
  const bisect: BisectSpec = {
    repo: spec.repo,
    good,
    bad: tip,
    oracle: spec.oracle,
    ...(spec.build ? { build: spec.build } : {}),
    ...(spec.lab ? { lab: spec.lab } : {}),
    ...(spec.decision ? { decision: spec.decision } : {}),
    ...(spec.firstParent !== undefined ? { firstParent: spec.firstParent } : {}),
    ...(spec.confirm !== undefined ? { confirm: spec.confirm } : {}),
    labels: { ...spec.labels, watchId: watch.id, runId: run.id },
  };
  const repository = await options.repositories.get(spec.repo);
  const firstParent = spec.firstParent ?? false;
  const resolved = await resolveRange(repository, { good: [good], bad: tip, firstParent });
  const id = `b${randomBytes(6).toString('hex')}`;
  const record: BisectRecord = {
    id,
    status: 'queued',
    spec: bisect,
    range: {
      bad: resolved.bad,
      goods: resolved.goods,
      firstParent,
      commits: resolved.commits.length,
    },
    submittedBy: `watch:${watch.id}`,
    createdAt: new Date().toISOString(),
  };
  await stores.watches.putRun({ ...run, bisectId: id });
  await queueBisect(stores, queues, record);
  log.info(
    { bisectId: id },
    `watch ${watch.id}: bisect ${id} started between ${good.slice(0, 12)} and ${tip.slice(0, 12)}`,
  );
  return id;
}

/** `watch.regression` to the watch's targets, for a regression and for a tip that failed. */
async function notify(
  options: WatchProcessorOptions,
  watch: WatchRecord,
  run: WatchRun,
  save: (fields: Partial<WatchRun>) => Promise<void>,
  log: Logger,
  final: Partial<WatchRun>,
): Promise<void> {
  const ended = { ...run, ...final };
  const targets = watch.spec.notify ?? [];
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
