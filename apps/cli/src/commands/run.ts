import { homedir } from 'node:os';
import { join } from 'node:path';
import { shellBuild } from '@kbisect/build';
import {
  BisectCancelled,
  type BisectOutcome,
  type Calibration,
  calibrate,
  type DecisionPolicy,
  type Direction,
  describeEffect,
  exitCodePolicy,
  NotDistinguishable,
  runBisect,
  statisticalPolicy,
  thresholdPolicy,
  toBisectLog,
} from '@kbisect/core';
import {
  type CommitInfo,
  openRepository,
  removeAllWorktreesSync,
  resolveRange,
} from '@kbisect/git';
import {
  commandOracle,
  LocalRunner,
  metricOracle,
  type Oracle,
  spliceLoopbackOracle,
} from '@kbisect/oracle';
import { writeCiReports } from '@kbisect/report';
import type { Logger } from 'pino';
import { requireCommandOnPath } from '../local/command-check.js';
import { localEnvironment } from '../local/local-environment.js';
import { logEvent } from '../local/progress.js';
import { createLogger } from '../logger.js';
import { humanReport } from '../report/human-report.js';
import { EXIT, exitCodeFor, type ResultObject, reasonOf } from '../report/result-object.js';
import { UsageError } from '../usage-error.js';
import type { RunOptions } from './run-options.js';

const defaultCacheDir = () =>
  process.env.KBISECT_CACHE_DIR ??
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'kbisect');

interface OracleSetup {
  oracle: Oracle;
  policy?: DecisionPolicy;
  calibration?: Calibration;
}

async function setUpOracle(options: RunOptions, cacheDir: string): Promise<OracleSetup> {
  const runner = new LocalRunner();
  const timeoutMs = options.oracleTimeoutMs;
  const statistical = (): Calibration => ({
    samplesPerEndpoint: options.calibrationSamples,
    calibrate: (good, bad) =>
      statisticalPolicy(
        calibrate(good, bad, {
          direction: options.direction,
          ...(options.alpha !== undefined ? { alpha: options.alpha } : {}),
          ...(options.minEffect !== undefined ? { minEffect: options.minEffect } : {}),
        }),
        {
          ...(options.samples !== undefined ? { initialSamples: options.samples } : {}),
          ...(options.maxSamples !== undefined ? { maxSamples: options.maxSamples } : {}),
        },
      ),
  });
  const spec = options.oracle;
  switch (spec.kind) {
    case 'command':
      await requireCommandOnPath(spec.command, '--oracle command');
      return {
        oracle: commandOracle({ runner, command: spec.command, timeoutMs }),
        policy: exitCodePolicy(),
      };
    case 'metric': {
      await requireCommandOnPath(spec.command, '--oracle metric');
      const oracle = metricOracle({ runner, command: spec.command, timeoutMs });
      if (options.threshold === undefined) return { oracle, calibration: statistical() };
      return {
        oracle,
        policy: thresholdPolicy({
          threshold: options.threshold,
          direction: options.direction,
          samples: options.samples ?? 1,
        }),
      };
    }
    case 'splice-loopback':
      return {
        oracle: await spliceLoopbackOracle({ runner, args: spec.args, cacheDir, timeoutMs }),
        calibration: statistical(),
      };
  }
}

/** `kbisect run`: the whole bisect on this machine, no service needed. */
export async function runCommand(options: RunOptions): Promise<number> {
  const log = createLogger(options.logLevel, options.logFormat);
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const controller = new AbortController();
  let interrupted = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted += 1;
    if (interrupted === 1) {
      log.warn({ signal }, 'interrupted: stopping the current step and removing worktrees');
      controller.abort();
      return;
    }
    // A second Ctrl-C: do not wait for the step, but still leave no worktree behind.
    removeAllWorktreesSync();
    process.exit(EXIT.cancelled);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await execute(options, cacheDir, controller.signal, log);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function execute(options: RunOptions, cacheDir: string, signal: AbortSignal, log: Logger) {
  const emit = async (object: ResultObject, commits: CommitInfo[] = []) => {
    if (options.json) process.stdout.write(`${JSON.stringify(object)}\n`);
    // A report file that cannot be written is said loudly but does not change the verdict.
    await writeCiReports(options, { result: object, commits }).catch((error: Error) =>
      log.error(error.message),
    );
    return exitCodeFor(object.status);
  };
  const failure = (error: unknown): ResultObject => ({
    status: 'error',
    culprit: null,
    candidates: [],
    steps: 0,
    oracleRuns: 0,
    subject: null,
    log: '',
    error: error instanceof Error ? error.message : String(error),
  });

  let outcome: BisectOutcome;
  let setup: OracleSetup;
  let repo: Awaited<ReturnType<typeof openRepository>>;
  let range: Awaited<ReturnType<typeof resolveRange>>;
  try {
    if (options.build) await requireCommandOnPath(options.build, '--build');
    setup = await setUpOracle(options, cacheDir);
    repo = await openRepository({ source: options.repo, cacheDir });
    // An existing mirror may be old: branch names must mean what they mean in the source now.
    await repo.fetch();
    range = await resolveRange(repo, {
      good: options.goods,
      bad: options.bad,
      firstParent: options.firstParent,
    });
    log.info(
      { bad: range.bad, goods: range.goods, commits: range.commits.length },
      `bisecting ${range.commits.length} commits between ${options.goods.join(', ')} and ${options.bad}`,
    );
    const env = localEnvironment({
      repo,
      oracle: setup.oracle,
      worktreeDir: repo.worktreesDir,
      ...(options.build
        ? { build: shellBuild({ command: options.build, timeoutMs: options.buildTimeoutMs }) }
        : {}),
    });
    outcome = await runBisect({
      range: { ...range, firstParent: options.firstParent },
      env,
      ...(setup.policy ? { policy: setup.policy } : {}),
      ...(setup.calibration ? { calibration: setup.calibration } : {}),
      checkEndpoints: true,
      confirm: options.confirm,
      signal,
      onEvent: (event) => logEvent(log, event),
    });
  } catch (error) {
    if (error instanceof BisectCancelled) {
      log.warn('bisect cancelled; worktrees removed');
      return EXIT.cancelled;
    }
    if (error instanceof NotDistinguishable) {
      log.error(error.message);
      return emit({
        ...failure(error),
        status: 'not-distinguishable',
        baselines: {
          good: error.good,
          bad: error.bad,
          direction: error.direction,
          pValue: error.pValue,
          effect: error.effect,
        },
        reason: error.reason,
      });
    }
    if (!(error instanceof UsageError)) log.debug({ err: error }, 'bisect failed');
    log.error(error instanceof Error ? error.message : String(error));
    return emit(failure(error));
  }

  const tested = [...new Set(outcome.journal.map((e) => e.commit))];
  const resultCommits = outcome.result.kind === 'found' ? [outcome.result.culprit] : [];
  const candidates = outcome.result.kind === 'inconclusive' ? outcome.result.candidates : [];
  const infos = await repo.commitInfos([...new Set([...tested, ...resultCommits, ...candidates])]);
  const info = new Map(infos.map((c) => [c.sha, c]));
  const subjects = new Map([...info].map(([sha, c]) => [sha, c.subject]));
  const bisectLog = toBisectLog({ ...range, firstParent: options.firstParent }, outcome.journal, {
    subjects,
    result: outcome.result,
  });
  const effect = effectOf(outcome, range.goods, options.direction, setup.oracle.quantity);
  const object: ResultObject = {
    status: outcome.result.kind === 'found' ? 'found' : 'inconclusive',
    culprit: outcome.result.kind === 'found' ? outcome.result.culprit : null,
    candidates,
    steps: outcome.totals.steps,
    oracleRuns: outcome.totals.oracleRuns,
    subject:
      outcome.result.kind === 'found' ? (info.get(outcome.result.culprit)?.subject ?? null) : null,
    log: bisectLog,
    result: outcome.result,
    confirmations: outcome.confirmations,
    journal: outcome.journal,
    seconds: {
      build: outcome.totals.buildSeconds,
      test: outcome.totals.testSeconds,
      total: outcome.totals.totalSeconds,
    },
  };
  const reason = reasonOf(outcome.result);
  if (reason) object.reason = reason;
  if (effect) object.effect = effect;
  // With --json the report still reaches the person, on stderr; stdout stays one JSON line.
  const report = `${humanReport(outcome, info, effect)}\n`;
  (options.json ? process.stderr : process.stdout).write(report);
  return emit(object, infos);
}

/** The culprit's effect against the good baseline, when the oracle measured numbers. */
function effectOf(
  outcome: BisectOutcome,
  goods: string[],
  direction: Direction,
  quantity?: Oracle['quantity'],
): string | undefined {
  if (outcome.result.kind !== 'found') return undefined;
  const culprit = outcome.result.culprit;
  const samplesOf = (commits: string[]) =>
    outcome.journal
      .filter((e) => commits.includes(e.commit))
      .flatMap((e) => e.evidence?.samples ?? []);
  const good = samplesOf(goods);
  const bad = samplesOf([culprit]);
  if (!good.some((s) => s.value !== undefined) || !bad.some((s) => s.value !== undefined))
    return undefined;
  return describeEffect(good, bad, direction, quantity?.unit, quantity?.metric);
}
