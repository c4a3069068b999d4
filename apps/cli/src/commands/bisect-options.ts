import { RECOMMENDED_CALIBRATION_SAMPLES } from '@kbisect/core';
import { type Command, Option } from 'commander';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * `--splice-measure` is a kbisect flag, not a key inside ARGS: ARGS are splice-bench's own
 * flags, checked against the program's option list and passed to it, while the measure is how
 * kbisect reads the program's one JSON line (which always carries both figures), and it sets
 * the decision direction, which belongs beside --higher-is-better and --lower-is-better.
 */
export const SPLICE_MEASURE_HELP =
  'splice-loopback: what a sample is: rate (txn/s or bytes/s, higher is better; default) ' +
  'or stalls (ms stalled per second, lower is better, so no direction flag is needed)';

/**
 * The bisect options of `kbisect run` and `kbisect start`: the same words mean the same thing
 * whether the bisect runs here or in the service. `repoHelp` says where a path is resolved.
 */
export function addBisectOptions(
  command: Command,
  repoHelp: string,
  { recipes = false }: { recipes?: boolean } = {},
): Command {
  const range = command
    .requiredOption('--repo <path|url>', repoHelp)
    .requiredOption('--good <ref>', 'a known good commit (repeatable)', collect)
    .requiredOption('--bad <ref>', 'a known bad commit');
  const measured = addMeasureOptions(range, {
    recipes,
    alphaHelp: 'significance level of the calibration rank test (default 0.01)',
  })
    .option(
      '--boot-failure <skip|bad>',
      'a kernel that does not boot on the lab: skip the commit (default), or count it bad to ' +
        'bisect the boot failure itself (start --lab only: run boots no kernel)',
    )
    .option(
      '--parallel-tests <n>',
      'test n commits at once, in about log_(n+1) N rounds: on this machine (run, or start ' +
        '--lab local) only when the oracle may run side by side (default 1); with --lab pool:NAME ' +
        'at most n of its labs, one commit per lab (default: every lab that is up)',
    );
  return addWalkOptions(measured)
    .option('--junit <file>', 'also write the result as JUnit XML, for the CI test report')
    .option('--markdown <file>', 'also write the result as Markdown, for a CI summary');
}

/**
 * How each commit is built, measured and judged: the options of a bisect that a watch takes
 * too (`kbisect watch add`), for its nightly runs and the bisects they start. Without
 * `recipes` the oracle is required; with it, `--recipe` may name the service's instead.
 * `alphaHelp`: what the significance level decides where the options are used.
 */
export function addMeasureOptions(
  command: Command,
  { recipes, alphaHelp }: { recipes: boolean; alphaHelp: string },
): Command {
  const oracleHelp =
    "command:'CMD' (git bisect run exit codes), metric:'CMD' (prints a number) or splice-loopback[:ARGS]";
  const base = command
    .option('--build <cmd>', 'build command run in each worktree; non-zero exit skips the commit')
    .option(
      '--build-timeout <seconds>',
      'kill a build that runs longer and skip the commit',
      '3600',
    )
    .option(
      '--ccache <auto|on|off>',
      'put ccache in front of the build command\'s compilers (CC="ccache cc", CXX="ccache c++") ' +
        'for a build that honours CC/CXX; auto (default): when ccache is installed',
    );
  const withOracle = recipes
    ? base
        .option('--oracle <spec>', `${oracleHelp}; or --recipe`)
        .option(
          '--recipe <name>',
          'a recipe of the service config (`recipes:`): its build and oracle, instead of ' +
            '--build and --oracle (what a token limited to recipes may send)',
        )
    : base.requiredOption('--oracle <spec>', oracleHelp);
  return withOracle
    .option(
      '--oracle-file <path>',
      'command/metric: a file the test needs, written under its base name into the directory ' +
        'the command runs in (the worktree, or the lab workDir) before each sample (repeatable)',
      collect,
    )
    .option('--splice-measure <rate|stalls>', SPLICE_MEASURE_HELP)
    .option(
      '--oracle-timeout <seconds>',
      'a single oracle run longer than this is a failed run',
      '600',
    )
    .addOption(new Option('--higher-is-better', 'the metric is a throughput (default)'))
    .addOption(new Option('--lower-is-better', 'the metric is a latency or a duration'))
    .option(
      '--threshold <x>',
      'metric: a fixed good/bad boundary instead of calibrating on the endpoints',
    )
    .option('--samples <n>', 'oracle runs per commit to start with')
    .option(
      '--max-samples <n>',
      'oracle runs per commit at most, when the first ones are unclear (raised up to 4x where good and bad are so near that the rank test needs more)',
    )
    .option(
      '--calibration-samples <n>',
      `oracle runs on each endpoint to calibrate good and bad (the cap): calibration stops at the first of the looks at 6, 12, 24... that tells them apart, and goes on to 2x and 4x the cap where they differ but are too near for the rank test (default ${RECOMMENDED_CALIBRATION_SAMPLES})`,
    )
    .option('--alpha <p>', alphaHelp)
    .option(
      '--min-effect <fraction>',
      'smallest relative difference between good and bad that counts, whatever the noise (default 0.02)',
    );
}

/** How the bisect walks the range and ends: a watch's bisects take them too. */
export function addWalkOptions(command: Command): Command {
  return command
    .option('--first-parent', 'follow only the first parent of merges')
    .option('--no-confirm', 'name the culprit without re-testing it, its parent and its revert');
}
