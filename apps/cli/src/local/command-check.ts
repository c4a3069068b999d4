import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { UsageError } from '../usage-error.js';

const run = promisify(execFile);

/**
 * Fails early when a command line starts with a program that is not installed: otherwise
 * every commit would "fail to build" and the bisect would end in a useless all-skipped
 * answer. Only bare program names are checked; `./script` may exist in some commits only.
 */
export async function requireCommandOnPath(commandLine: string, flag: string): Promise<void> {
  const program = firstWord(commandLine);
  if (!program || program.includes('/') || program.includes('=')) return;
  try {
    // The name is passed as an argument ("$1"), never spliced into the shell text.
    await run('sh', ['-c', 'command -v -- "$1"', 'sh', program]);
  } catch {
    throw new UsageError(
      `${flag}: '${program}' was not found on PATH (${process.env.PATH ?? ''}); install it or give a full path`,
    );
  }
}

function firstWord(commandLine: string): string | undefined {
  return commandLine.trim().split(/\s+/)[0];
}
