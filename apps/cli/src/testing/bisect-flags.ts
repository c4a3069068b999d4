import { Command } from 'commander';
import { addBisectOptions } from '../commands/bisect-options.js';
import type { RunFlags } from '../commands/run-options.js';

/** The arguments every bisect command requires, for tests that vary the rest. */
const REQUIRED = ['--repo', '/src/linux', '--good', 'v6.1', '--bad', 'v6.2'];

/**
 * The flags commander hands to a bisect command (`run`, or `start` when `extend` adds its
 * options) for `--oracle splice-loopback` plus `args`, as the action receives them.
 */
export function bisectFlagsOf<F extends RunFlags = RunFlags>(
  args: string[],
  extend: (command: Command) => Command = (command) => command,
): F {
  let flags: F | undefined;
  extend(addBisectOptions(new Command('bisect').exitOverride(), 'repo', { recipes: true }))
    .action((parsed: F) => {
      flags = parsed;
    })
    .parse([...REQUIRED, '--oracle', 'splice-loopback', ...args], { from: 'user' });
  if (!flags) throw new Error('commander did not call the action');
  return { ...flags, logLevel: 'info', logFormat: 'pretty' };
}
