import { EXIT, errorResultObject } from '@kbisect/contracts';
import { Command } from 'commander';
import { addBisectOptions } from './commands/bisect-options.js';
import { runCommand } from './commands/run.js';
import { localRunOptions, parseRunFlags, type RunFlags } from './commands/run-options.js';
import { registerKernelCommands } from './kernel/kernel-build-command.js';
import { registerLabCommands } from './lab/lab-vm-command.js';
import { registerServiceCommands } from './service/index.js';
import { UsageError } from './usage-error.js';

const program = new Command('kbisect')
  .description('Find the commit behind a Linux kernel regression: build, boot, measure, bisect.')
  .showHelpAfterError();

addBisectOptions(
  program
    .command('run')
    .description('bisect on this machine: a worktree per commit, the build, then the oracle'),
  'git repository to bisect (it is mirrored; your checkout is never touched)',
)
  .option('--json', 'print the result as one JSON object on the last line of stdout')
  .option('--log-level <level>', 'debug | info | warn | error', 'info')
  .option('--log-format <format>', 'pretty | json (progress on stderr)', 'pretty')
  .option('--cache-dir <dir>', 'mirrors, worktrees and built tools (default ~/.cache/kbisect)')
  .action(async (flags: RunFlags) => {
    process.exitCode = await runCommand(localRunOptions(parseRunFlags(flags)));
  });

registerServiceCommands(program);
registerKernelCommands(program);
registerLabCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`kbisect: ${error.message}\n`);
  // A CI script that asked for --json reads the last stdout line, even for bad input.
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(errorResultObject(error))}\n`);
  }
  process.exitCode = EXIT.error;
}
