import type { Repositories } from '@kbisect/config';
import {
  type BisectRecord,
  type BisectStatus,
  bootFailureOf,
  type CommitDescription,
  CoordinatorJob,
  type CoordinatorJobResult,
  commitsToDescribe,
  decisionSetup,
  errorResultObject,
  isTerminal,
  notDistinguishableResultObject,
  progressLine,
  type Quantity,
  type ResultObject,
  resultObjectOf,
} from '@kbisect/contracts';
import {
  BisectCancelled,
  type BisectEvent,
  type BisectOutcome,
  type BisectRange,
  NotDistinguishable,
  runBisect,
} from '@kbisect/core';
import type { Mailbox } from '@kbisect/notify';
import {
  type FinishOptions,
  finishBisect,
  JournalConflict,
  type Queues,
  type Stores,
} from '@kbisect/queue';
import type { Sandbox } from '@kbisect/sandbox';
import { type Job, type QueueEvents, UnrecoverableError, WaitingError } from 'bullmq';
import type { Logger } from 'pino';
import Value from 'typebox/value';
import type { LocalWorktrees } from '../build/local-worktrees.js';
import { LostLock } from '../errors/lost-lock.js';
import { interruptCause } from '../errors/step-interrupted.js';
import type { Interrupts } from '../interrupts.js';
import { ownsJobLock } from '../job-lock.js';
import type { CoordinatorRuns } from './coordinator-runs.js';
import { maintainersOf } from './maintainers.js';
import type { QueueEventsByName } from './queue-events-by-name.js';
import { serviceEnvironment } from './service-environment.js';
import { type SharesBuildHost, speculationOf } from './speculation.js';
import { type PoolLabsUp, testSlotsOf } from './test-slots.js';

export interface CoordinatorOptions {
  stores: Stores;
  queues: Queues;
  queueEvents: { build: QueueEvents; labTest: QueueEventsByName };
  repositories: Repositories;
  worktrees: LocalWorktrees;
  interrupts: Interrupts;
  lockDurationMs: number;
  runs: CoordinatorRuns;
  /**
   * `mail.getMaintainer`: the sandbox in which a found culprit's scripts/get_maintainer.pl
   * runs, for the Cc of its report mail; absent: no one is looked up.
   */
  maintainers?: { sandbox: Sandbox };
  /**
   * The labs of this worker's config that are up: a bisect on a pool tests one commit per lab
   * up at once (`testSlotsOf`), and a commit's later samples go to the lab of its first.
   */
  labs?: {
    up: PoolLabsUp;
    isUp(lab: string): Promise<boolean>;
    /** Whether a lab runs on the build host's cores: no builds ahead while it measures. */
    sharesBuildHost: SharesBuildHost;
  };
  log: Logger;
}

/** How long a finished bisect waits for its abandoned builds before removing its worktrees. */
const SETTLE_MS = 30_000;

/**
 * The coordinator job of one bisect: the core's loop, fed the journal from Redis, appending
 * each verdict with the optimistic check. Nothing else is state, so a coordinator that dies
 * anywhere is replaced by one that reads the same journal and goes on from it.
 */
export function coordinatorProcessor(options: CoordinatorOptions) {
  const { stores, interrupts } = options;
  return async (
    job: Job<CoordinatorJob, CoordinatorJobResult>,
    token?: string,
    bullSignal?: AbortSignal,
  ): Promise<CoordinatorJobResult> => {
    if (!Value.Check(CoordinatorJob, job.data)) {
      throw new UnrecoverableError(`coordinator job ${job.id}: payload does not match`);
    }
    const id = job.data.bisectId;
    const log = options.log.child({ bisectId: id });
    const record = await committedRecord(stores, id);
    if (!record) {
      throw new UnrecoverableError(
        `no bisect ${id} in the store: the request that queued it never committed it`,
      );
    }
    if (isTerminal(record.status)) return { status: record.status };
    // Worktrees go before the status: a bisect that reads as ended has left nothing behind.
    const env = { settled: async () => {} };
    const cleanUp = async () => {
      await Promise.race([env.settled(), new Promise((r) => setTimeout(r, SETTLE_MS).unref())]);
      await options.worktrees.releaseOwner({ bisectId: id }).catch(() => {});
    };
    if (record.cancelRequested) {
      await cleanUp();
      return { status: await end(options, id, 'cancelled', log) };
    }

    const step = interrupts.open(id, [bullSignal], {
      role: 'coordinator',
      causes: ['cancel', 'shutdown', 'lost-lock'],
    });
    const ownsLock = () => ownsJobLock(job, token, options.lockDurationMs);
    const forget = options.runs.add(id, { ownsLock, stop: () => step.interrupt('lost-lock') });
    try {
      const resumed = record.status === 'running';
      const started = await stores.bisects.setStatus(id, 'running', ['queued', 'running'], {
        ...(record.startedAt ? {} : { startedAt: new Date().toISOString() }),
      });
      if (!started) return { status: (await stores.bisects.get(id))?.status ?? 'error' };
      if (!resumed) await stores.events.append(id, 'status', { status: 'running' });
      const outcome = await coordinate(options, record, step.signal, log, ownsLock, env);
      await cleanUp();
      return { status: await finish(options, record, outcome, log) };
    } catch (error) {
      const cause = interruptCause(step.signal);
      if (cause === 'shutdown' && token) {
        log.info('worker shutting down: the bisect goes back to the queue, its journal intact');
        await job.moveToWait(token);
        throw new WaitingError();
      }
      if (cause === 'lost-lock' || error instanceof LostLock) {
        log.warn('another worker took this bisect over; this one stops without writing');
        throw error;
      }
      await cleanUp();
      if (cause === 'cancel' || error instanceof BisectCancelled) {
        return { status: await end(options, id, 'cancelled', log) };
      }
      if (error instanceof NotDistinguishable) {
        log.error(error.message);
        const result = notDistinguishableResultObject(error);
        return { status: await end(options, id, 'not-distinguishable', log, result) };
      }
      log.error({ err: error }, error instanceof Error ? error.message : String(error));
      return { status: await end(options, id, 'error', log, errorResultObject(error)) };
    } finally {
      forget();
      step.done();
    }
  };
}

/** Three tries, a second apart and then two: for git racing a killed worker's leftovers. */
async function retried<T>(fn: () => Promise<T>, log: Logger, what: string): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= 3) throw error;
      log.warn({ err: (error as Error).message, attempt }, `${what} failed; trying again`);
      await new Promise((r) => setTimeout(r, 1000 * attempt));
    }
  }
}

interface Coordinated {
  outcome: BisectOutcome;
  range: BisectRange;
  quantity: Quantity | undefined;
}

async function coordinate(
  options: CoordinatorOptions,
  record: BisectRecord,
  signal: AbortSignal,
  log: Logger,
  ownsLock: () => Promise<boolean>,
  settle: { settled: () => Promise<void> },
): Promise<Coordinated> {
  const { stores, interrupts } = options;
  const { id, spec } = record;
  const repository = await options.repositories.get(spec.repo);
  // The shas were fixed when the bisect was submitted; the mirror only has to contain them.
  // A worker killed mid `git worktree add` leaves git running for a moment, and git commands
  // in the same mirror can fail until it is done: such failures are tried again.
  // A source that went away (or cannot be reached) is no reason to stop: the mirror holds
  // every commit of the range, and rev-list below says so or fails.
  await retried(() => repository.fetch(), log, 'git fetch').catch((error: unknown) =>
    log.warn(
      { err: (error as Error).message },
      'cannot fetch from the source; going on with the commits in the mirror',
    ),
  );
  const range: BisectRange = {
    bad: record.range.bad,
    goods: record.range.goods,
    commits: await retried(
      () =>
        repository.revListRange(record.range.bad, record.range.goods, {
          firstParent: record.range.firstParent,
        }),
      log,
      'git rev-list',
    ),
    firstParent: record.range.firstParent,
  };
  const setup = decisionSetup(spec.oracle, spec.decision);
  const speculation = speculationOf(spec, options.labs?.sharesBuildHost ?? (() => false));
  if (!speculation.on && spec.speculate !== false) log.info(`no builds ahead: ${speculation.why}`);
  const onEvent = (event: BisectEvent) => report(options, id, event, log);

  for (;;) {
    const journal = await stores.journals.read(id);
    log.info(
      { verdicts: journal.length, commits: range.commits.length },
      journal.length === 0
        ? `bisecting ${range.commits.length} commits`
        : `continuing from the journal: ${journal.length} verdicts recorded`,
    );
    let length = journal.length;
    const decide = interrupts.open(id, [signal], {
      role: 'coordinator',
      causes: ['journal-changed'],
    });
    const env = serviceEnvironment({
      owner: { bisectId: id },
      spec,
      queues: options.queues,
      queueEvents: options.queueEvents,
      worktrees: options.worktrees,
      artifacts: options.stores.artifacts,
      journalLength: () => length,
      testSlots: () => testSlotsOf(spec, options.labs?.up ?? (async () => [])),
      ...(options.labs ? { labIsUp: options.labs.isUp } : {}),
      stillOwner: ownsLock,
      control: options.stores.control,
      log,
    });
    // Builds of an abandoned step may still run: cleaning up waits for every environment's.
    const earlier = settle.settled;
    settle.settled = async () => {
      await Promise.all([earlier(), env.settled()]);
    };
    const quantity = env.quantity;
    try {
      const outcome = await runBisect({
        range,
        env,
        ...(setup.policy ? { policy: setup.policy } : {}),
        ...(setup.calibration ? { calibration: setup.calibration } : {}),
        journal,
        checkEndpoints: true,
        confirm: spec.confirm ?? true,
        speculate: speculation.on,
        bootFailure: bootFailureOf(spec),
        signal: decide.signal,
        onEvent,
        onJournalEntries: async (entries) => {
          await stores.journals.append(id, length, ...entries);
          length += entries.length;
        },
      });
      return { outcome, range, quantity: quantity() };
    } catch (error) {
      const changed =
        error instanceof JournalConflict || interruptCause(decide.signal) === 'journal-changed';
      if (!changed || signal.aborted) throw error;
      if (error instanceof JournalConflict && !(await ownsLock()))
        throw new LostLock(`bisect ${id}`);
      log.info('the journal changed under this step (a manual mark?): deciding again from it');
    } finally {
      decide.done();
    }
  }
}

/** Every loop event: a log line (mirrored to the bisect's stream), a typed event, the record. */
function report(options: CoordinatorOptions, id: string, event: BisectEvent, log: Logger): void {
  const { stores } = options;
  const line = progressLine(event);
  log[line.level](line.fields, line.msg);
  const failed = (error: unknown) => log.warn({ err: error }, 'could not record progress');
  stores.events.append(id, 'progress', event).catch(failed);
  switch (event.type) {
    case 'step':
      stores.bisects
        .update(id, {
          progress: {
            phase: event.phase,
            commit: event.commit,
            ...(event.commits ? { commits: event.commits } : {}),
            remaining: event.remaining,
            stepsLeft: event.stepsLeft,
            ...(event.secondsLeft !== undefined ? { secondsLeft: event.secondsLeft } : {}),
            at: new Date().toISOString(),
          },
        })
        .catch(failed);
      return;
    case 'build':
      stores.stepMetrics.observe('build', event.seconds).catch(failed);
      return;
    case 'verdict': {
      const seconds = event.entry.evidence?.testSeconds;
      if (seconds !== undefined) stores.stepMetrics.observe('test', seconds).catch(failed);
      return;
    }
    default:
      return;
  }
}

async function finish(
  options: CoordinatorOptions,
  record: BisectRecord,
  { outcome, range, quantity }: Coordinated,
  log: Logger,
): Promise<BisectStatus> {
  const repository = await options.repositories.get(record.spec.repo);
  const infos = await repository.commitInfos(commitsToDescribe(outcome));
  const { direction } = decisionSetup(record.spec.oracle, record.spec.decision);
  const result = resultObjectOf(outcome, range, infos, direction, quantity);
  const commits: CommitDescription[] = infos.map((c) => ({
    sha: c.sha,
    subject: c.subject,
    author: c.author,
    authorDate: c.authorDate,
    describe: c.describe,
    committer: c.committer,
  }));
  if (result.culprit)
    log.info({ culprit: result.culprit }, `${result.culprit} is the first bad commit`);
  else log.info({ result: outcome.result }, `${result.status}: ${result.reason ?? ''}`);
  const maintainers = await culpritMaintainers(options, record, result, log);
  return end(options, record.id, result.status, log, result, {
    commits,
    ...(maintainers.length ? { maintainers } : {}),
  });
}

/** The Cc of the culprit's mail from get_maintainer.pl, when asked and a mail will go. */
async function culpritMaintainers(
  options: CoordinatorOptions,
  record: BisectRecord,
  result: ResultObject,
  log: Logger,
): Promise<Mailbox[]> {
  const mails = record.spec.notify?.length ?? 0;
  if (!options.maintainers || !result.culprit || result.status !== 'found' || mails === 0) {
    return [];
  }
  try {
    const repository = await options.repositories.get(record.spec.repo);
    const found = await maintainersOf(repository, result.culprit, {
      sandbox: options.maintainers.sandbox,
      baseDir: options.worktrees.dirOf(record.id),
    });
    log.info(
      { maintainers: found.map((m) => m.address) },
      `get_maintainer.pl: ${found.length} to Cc`,
    );
    return found;
  } catch (error) {
    log.warn({ err: (error as Error).message }, 'get_maintainer.pl gave no answer');
    return [];
  }
}

/** Ends the bisect through the shared lifecycle step, logging a cancel for followers. */
async function end(
  options: CoordinatorOptions,
  id: string,
  status: BisectStatus,
  log: Logger,
  result?: ResultObject,
  extra: Omit<FinishOptions, 'result'> = {},
): Promise<BisectStatus> {
  if (status === 'cancelled') log.warn('bisect cancelled; its builds and tests were stopped');
  return finishBisect(options.stores, id, status, log, { ...(result ? { result } : {}), ...extra });
}

/** How long a coordinator waits for the record of a POST still in flight (its last write). */
const COMMIT_WAIT_MS = 30_000;

/**
 * The bisect's record. A POST queues the coordinator before it writes the record (the commit
 * point, createBisect), so a job may start a moment before its record exists: wait for it a
 * while, and give up on a request that never committed.
 */
async function committedRecord(stores: Stores, id: string): Promise<BisectRecord | undefined> {
  const deadline = Date.now() + COMMIT_WAIT_MS;
  for (let delay = 50; ; delay = Math.min(delay * 2, 2_000)) {
    const record = await stores.bisects.get(id);
    if (record || Date.now() >= deadline) return record;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
