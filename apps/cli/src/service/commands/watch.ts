import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  DEFAULT_WATCH_ALPHA,
  type WatchBody,
  type WatchRun,
  type WatchView,
} from '@kbisect/contracts';
import type { Command } from 'commander';
import { addMeasureOptions, addWalkOptions } from '../../commands/bisect-options.js';
import {
  decisionOf,
  oracleAndDecisionOf,
  parseServiceRunFlags,
  type RunFlags,
  type RunOptions,
} from '../../commands/run-options.js';
import { UsageError } from '../../usage-error.js';
import type { ApiClient } from '../client/api-client.js';
import { addClientOptions, type ClientFlags, clientFrom, collectLabel } from '../service-flags.js';

type Action = <A extends unknown[]>(
  run: (...args: A) => Promise<number>,
) => (...args: A) => Promise<void>;

interface AddFlags extends ClientFlags, Omit<RunFlags, 'good' | 'bad' | 'logLevel' | 'logFormat'> {
  branch: string;
  cron: string;
  tz?: string;
  runSamples?: string;
  maxDrop?: string;
  label?: Record<string, string>;
  notify?: string[];
  lab?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];
const short = (sha: string | undefined) => sha?.slice(0, 12) ?? '-';

/**
 * `kbisect watch add|list|runs|rm|run`: watches of the service, a branch measured on a
 * schedule and bisected when it regresses. `add` takes the build, oracle and decision
 * options of `kbisect start` (they go to the bisect a regression starts, too).
 */
export function registerWatchCommands(program: Command, action: Action): void {
  const watch = program
    .command('watch')
    .description('watch a branch in the service: measure it on a schedule, bisect regressions');

  const add = watch
    .command('add')
    .description('measure a branch on a cron schedule; a regression starts a bisect')
    .requiredOption('--repo <path|url>', 'git repository (a URL, or a path on the server host)')
    .requiredOption('--branch <name>', 'the branch measured')
    .requiredOption('--cron <expr>', 'cron expression, e.g. "0 2 * * *" (6 fields: seconds)')
    .option('--tz <zone>', 'time zone of the cron expression (default UTC)');
  addClientOptions(
    addWalkOptions(
      addMeasureOptions(add, {
        recipes: true,
        alphaHelp: `significance level of the nightly comparison (default ${DEFAULT_WATCH_ALPHA}) and of the bisect's calibration`,
      }),
    )
      .option('--run-samples <n>', 'oracle runs on the tip per night (default 5)')
      .option('--max-drop <percent>', 'regression: median worse by more than this (default 5)')
      .option('--lab <name>', 'local (default), a lab name, or pool:NAME')
      .option('--label <key=value>', 'a label of the bisects it starts (repeatable)', collectLabel)
      .option('--notify <id=url>', 'a webhook target for watch.regression (repeatable)', collect),
  ).action(action(async (flags: AddFlags) => addWatch(clientFrom(flags), flags)));

  addClientOptions(watch.command('list').description('watches, newest first')).action(
    action(async (flags: ClientFlags) => listWatches(clientFrom(flags), flags.json ?? false)),
  );

  addClientOptions(
    watch.command('runs <id>').description("a watch's runs, newest first, with their figures"),
  )
    .option('--limit <n>', 'at most this many', '20')
    .action(
      action(async (id: string, flags: ClientFlags & { limit: string }) =>
        listRuns(clientFrom(flags), id, Number(flags.limit), flags.json ?? false),
      ),
    );

  addClientOptions(
    watch.command('rm <id>').description('stop watching: remove the schedule'),
  ).action(
    action(async (id: string, flags: ClientFlags) => {
      await clientFrom(flags).removeWatch(id);
      process.stdout.write(
        flags.json ? `${JSON.stringify({ id, removed: true })}\n` : `${id} removed\n`,
      );
      return 0;
    }),
  );

  addClientOptions(watch.command('run <id>').description('run a watch now')).action(
    action(async (id: string, flags: ClientFlags) => {
      const queued = await clientFrom(flags).runWatch(id);
      process.stdout.write(flags.json ? `${JSON.stringify(queued)}\n` : `${queued.runId}\n`);
      return 0;
    }),
  );
}

function numberFlag(flag: string, text: string | undefined, min: number, max: number) {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`${flag} '${text}': expected a number from ${min} to ${max}`);
  }
  return value;
}

/** The spec of `watch add`, from the same parsing as `kbisect start`. */
export function watchSpecFromFlags(flags: AddFlags): WatchBody {
  const run = parseServiceRunFlags({
    ...flags,
    good: ['-'],
    bad: '-',
    logLevel: 'info',
    logFormat: 'pretty',
  } as RunFlags);
  // A recipe's build and oracle are the service's: the spec names it and brings neither.
  const commands =
    'recipe' in run
      ? { recipe: run.recipe, decision: decisionOf(run) }
      : { ...oracleAndDecisionOf(run), ...buildOf(run) };
  const samples = numberFlag('--run-samples', flags.runSamples, 2, 200);
  const maxDrop = numberFlag('--max-drop', flags.maxDrop, 0, 100);
  const notify = (flags.notify ?? []).map((target) => {
    const eq = target.indexOf('=');
    if (eq <= 0) throw new UsageError(`--notify '${target}': expected id=url`);
    return { id: target.slice(0, eq), url: target.slice(eq + 1) };
  });
  const lab = flags.lab;
  return {
    repo: existsSync(flags.repo) ? resolve(flags.repo) : flags.repo,
    branch: flags.branch,
    cron: flags.cron,
    ...(flags.tz ? { tz: flags.tz } : {}),
    ...(lab === undefined || lab === 'local'
      ? {}
      : { lab: lab.startsWith('pool:') ? { pool: lab.slice(5) } : { name: lab } }),
    ...commands,
    ...(samples !== undefined ? { samples } : {}),
    ...(maxDrop !== undefined || run.alpha !== undefined
      ? {
          regression: {
            metric: 'median' as const,
            maxDropPercent: maxDrop ?? 5,
            ...(run.alpha !== undefined ? { alpha: run.alpha } : {}),
          },
        }
      : {}),
    firstParent: run.firstParent,
    confirm: run.confirm,
    ...(flags.label && Object.keys(flags.label).length > 0 ? { labels: flags.label } : {}),
    ...(notify.length > 0 ? { notify } : {}),
  };
}

async function addWatch(client: ApiClient, flags: AddFlags): Promise<number> {
  const created = await client.addWatch(watchSpecFromFlags(flags));
  process.stdout.write(
    flags.json
      ? `${JSON.stringify(created)}\n`
      : `${created.id}\n${created.url}\nnext run: ${created.nextRunAt ?? '-'}\n`,
  );
  return 0;
}

async function listWatches(client: ApiClient, json: boolean): Promise<number> {
  const { watches } = await client.watches();
  if (json) {
    process.stdout.write(`${JSON.stringify({ watches })}\n`);
    return 0;
  }
  const line = (w: WatchView) =>
    [
      w.id,
      `${w.spec.branch}@${w.spec.repo}`,
      `"${w.spec.cron}"${w.spec.tz ? ` ${w.spec.tz}` : ''}`,
      `next ${w.nextRunAt ?? '-'}`,
      `last good ${short(w.lastGood?.commit)}`,
    ].join('  ');
  process.stdout.write(watches.length === 0 ? 'no watches\n' : `${watches.map(line).join('\n')}\n`);
  return 0;
}

async function listRuns(client: ApiClient, id: string, limit: number, json: boolean) {
  const { runs } = await client.watchRuns(id, limit);
  if (json) {
    process.stdout.write(`${JSON.stringify({ runs })}\n`);
    return 0;
  }
  const line = (r: WatchRun) =>
    [
      r.startedAt,
      r.status.padEnd(13),
      short(r.commit),
      r.median !== undefined ? `median ${r.median}` : '',
      r.changePercent !== undefined ? `${r.changePercent.toFixed(1)}%` : '',
      r.bisectId ? `bisect ${r.bisectId}` : '',
    ]
      .filter(Boolean)
      .join('  ');
  process.stdout.write(runs.length === 0 ? 'no runs yet\n' : `${runs.map(line).join('\n')}\n`);
  return 0;
}

/** A watch's command build, as `kbisect start` sends one. */
function buildOf(run: RunOptions) {
  if (!run.build) return {};
  return {
    build: {
      command: run.build,
      timeoutSeconds: run.buildTimeoutMs / 1000,
      ...(run.ccache !== 'auto' ? { ccache: run.ccache } : {}),
    },
  };
}
