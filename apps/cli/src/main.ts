import { RECOMMENDED_CALIBRATION_SAMPLES } from '@kbisect/core';
import { Command, Option } from 'commander';
import { runCommand } from './commands/run.js';
import { parseRunFlags, type RunFlags } from './commands/run-options.js';
import { EXIT } from './report/result-object.js';
import { registerServiceCommands } from './service/index.js';
import { UsageError } from './usage-error.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

const program = new Command('kbisect')
  .description('Find the commit behind a Linux kernel regression: build, boot, measure, bisect.')
  .showHelpAfterError();

program
  .command('run')
  .description('bisect on this machine: a worktree per commit, the build, then the oracle')
  .requiredOption(
    '--repo <path|url>',
    'git repository to bisect (it is mirrored; your checkout is never touched)',
  )
  .requiredOption('--good <ref>', 'a known good commit (repeatable)', collect)
  .requiredOption('--bad <ref>', 'a known bad commit')
  .option('--build <cmd>', 'build command run in each worktree; non-zero exit skips the commit')
  .option('--build-timeout <seconds>', 'kill a build that runs longer and skip the commit', '3600')
  .requiredOption(
    '--oracle <spec>',
    "command:'CMD' (git bisect run exit codes), metric:'CMD' (prints a number) or splice-loopback[:ARGS]",
  )
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
  .option('--max-samples <n>', 'oracle runs per commit at most, when the first ones are unclear')
  .option(
    '--calibration-samples <n>',
    `oracle runs on each endpoint to calibrate good and bad (default ${RECOMMENDED_CALIBRATION_SAMPLES})`,
  )
  .option('--alpha <p>', 'significance level of the calibration rank test (default 0.01)')
  .option(
    '--min-effect <fraction>',
    'smallest relative difference between good and bad that counts, e.g. 0.1',
  )
  .option('--first-parent', 'follow only the first parent of merges')
  .option('--no-confirm', 'name the culprit without re-testing it, its parent and its revert')
  .option('--json', 'print the result as one JSON object on the last line of stdout')
  .option('--junit <file>', 'also write the result as JUnit XML, for the CI test report')
  .option('--markdown <file>', 'also write the result as Markdown, for a CI summary')
  .option('--log-level <level>', 'debug | info | warn | error', 'info')
  .option('--log-format <format>', 'pretty | json (progress on stderr)', 'pretty')
  .option('--cache-dir <dir>', 'mirrors, worktrees and built tools (default ~/.cache/kbisect)')
  .action(async (flags: RunFlags) => {
    process.exitCode = await runCommand(parseRunFlags(flags));
  });

registerServiceCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`kbisect: ${error.message}\n`);
  // A CI script that asked for --json reads the last stdout line, even for bad input.
  if (process.argv.includes('--json')) {
    const object = { status: 'error', culprit: null, candidates: [], steps: 0, oracleRuns: 0 };
    process.stdout.write(
      `${JSON.stringify({ ...object, subject: null, log: '', error: error.message })}\n`,
    );
  }
  process.exitCode = EXIT.error;
}
