import { homedir } from 'node:os';
import { join } from 'node:path';
import { compilerCacheFor, shellBuild } from '@kbisect/build';
import {
  bisectSetupOf,
  commitsToDescribe,
  decisionSetup,
  EXIT,
  errorResultObject,
  exitCodeFor,
  notDistinguishableResultObject,
  progressLine,
  type ResultObject,
  resultObjectOf,
} from '@kbisect/contracts';
import { BisectCancelled, type BisectOutcome, NotDistinguishable, runBisect } from '@kbisect/core';
import {
  type CommitInfo,
  openRepository,
  removeAllWorktreesSync,
  resolveRange,
} from '@kbisect/git';
import { LocalRunner, localTarget, oracleFor } from '@kbisect/oracle';
import { writeCiReports } from '@kbisect/report';
import { Sandbox } from '@kbisect/sandbox';
import type { Logger } from 'pino';
import { requireCommandOnPath } from '../local/command-check.js';
import { localEnvironment } from '../local/local-environment.js';
import { createLogger } from '../logger.js';
import { humanReport } from '../report/human-report.js';
import { UsageError } from '../usage-error.js';
import { oracleAndDecisionOf, type RunOptions } from './run-options.js';

const defaultCacheDir = () =>
  process.env.KBISECT_CACHE_DIR ??
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'kbisect');

/**
 * Build and oracle commands get a clean environment: a CI job's own secrets (KBISECT_TOKEN,
 * cloud credentials) stay out of the build logs that end up in reports. The user's PATH is
 * kept: it names their toolchain, and this is their machine.
 */
const localSandbox = (cacheDir: string) =>
  Sandbox.cleanEnvironmentOnly(join(cacheDir, 'sandbox'), {
    ...(process.env.PATH ? { path: process.env.PATH } : {}),
  });

/** The oracle and the decision policy, derived as the service derives them from a spec. */
async function setUpOracle(options: RunOptions, cacheDir: string) {
  const { oracle, decision } = oracleAndDecisionOf(options);
  if (oracle.kind !== 'splice-loopback') {
    await requireCommandOnPath(oracle.command, `--oracle ${oracle.kind}`);
  }
  return {
    oracle: await oracleFor(oracle, {
      target: localTarget(new LocalRunner({ sandbox: localSandbox(cacheDir) })),
      cacheDir,
    }),
    ...decisionSetup(oracle, decision),
  };
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

/** The setup lines of every report, from the options as the service makes them from a spec. */
function setupOf(options: RunOptions) {
  return bisectSetupOf({
    repo: options.repo,
    good: options.goods,
    bad: options.bad,
    firstParent: options.firstParent,
    ...(options.build ? { build: { command: options.build } } : {}),
    lab: 'local',
    ...oracleAndDecisionOf(options),
  });
}

async function execute(options: RunOptions, cacheDir: string, signal: AbortSignal, log: Logger) {
  const emit = async (object: ResultObject, commits: CommitInfo[] = []) => {
    object.setup ??= setupOf(options);
    if (options.json) process.stdout.write(`${JSON.stringify(object)}\n`);
    // A report file that cannot be written is said loudly but does not change the verdict.
    await writeCiReports(options, { result: object, commits }).catch((error: Error) =>
      log.error(error.message),
    );
    return exitCodeFor(object.status);
  };

  let outcome: BisectOutcome;
  let setup: Awaited<ReturnType<typeof setUpOracle>>;
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
    const compilerCache = options.build
      ? await compilerCacheFor(options.ccache, cacheDir)
      : undefined;
    const env = localEnvironment({
      repo,
      oracle: setup.oracle,
      worktreeDir: repo.worktreesDir,
      buildProgress: { log },
      ...(options.parallelTests !== undefined ? { testSlots: options.parallelTests } : {}),
      ...(options.build
        ? {
            build: shellBuild({
              command: options.build,
              timeoutMs: options.buildTimeoutMs,
              sandbox: localSandbox(cacheDir),
              ...(compilerCache ? { compilerCache } : {}),
            }),
          }
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
      onEvent: (event) => {
        const line = progressLine(event);
        log[line.level](line.fields, line.msg);
      },
    });
  } catch (error) {
    if (error instanceof BisectCancelled) {
      log.warn('bisect cancelled; worktrees removed');
      return EXIT.cancelled;
    }
    if (error instanceof NotDistinguishable) {
      log.error(error.message);
      return emit(notDistinguishableResultObject(error));
    }
    if (!(error instanceof UsageError)) log.debug({ err: error }, 'bisect failed');
    log.error(error instanceof Error ? error.message : String(error));
    return emit(errorResultObject(error));
  }

  const infos = await repo.commitInfos(commitsToDescribe(outcome));
  const object = resultObjectOf(
    outcome,
    { ...range, firstParent: options.firstParent },
    infos,
    options.direction,
    setup.oracle.quantity,
  );
  // With --json the report still reaches the person, on stderr; stdout stays one JSON line.
  const info = new Map(infos.map((c) => [c.sha, c]));
  const report = `${humanReport(outcome, info, object)}\n`;
  (options.json ? process.stderr : process.stdout).write(report);
  return emit(object, infos);
}
