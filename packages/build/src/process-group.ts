import { createWriteStream } from 'node:fs';
import type { Sandbox, SandboxRequest } from '@kbisect/sandbox';

export interface GroupRunOptions {
  /** The tree's Makefiles and scripts are the commit's code: they run in the sandbox. */
  sandbox: Sandbox;
  /** Working directory, the variables kbisect sets, the directories make may write. */
  request: SandboxRequest;
  /** The run is stopped (SIGTERM, then SIGKILL) when this many ms have passed. */
  deadline: number;
  signal: AbortSignal;
  /** Every byte of output is appended here. */
  logPath: string;
  /** How long make gets after SIGTERM to delete half-written targets. */
  graceMs?: number;
}

export interface GroupRunResult {
  exitCode: number | null;
  timedOut: boolean;
  aborted: boolean;
  /** SIGKILL was needed: half-written files may remain in the build directory. */
  killed: boolean;
  seconds: number;
}

/**
 * Runs one build command in its own process group, every byte of its output appended to the
 * build log. Stopping it signals the whole group: SIGTERM first, because make and gcc then
 * delete the targets they were writing, and SIGKILL after the grace period.
 */
export async function runInGroup(
  argv: readonly string[],
  options: GroupRunOptions,
): Promise<GroupRunResult> {
  const log = createWriteStream(options.logPath, { flags: 'a' });
  log.write(`$ ${argv.join(' ')}\n`);
  const write = (chunk: Buffer) => log.write(chunk);
  const run = await options.sandbox
    .run(argv, options.request, {
      timeoutMs: Math.max(0, options.deadline - Date.now()),
      signal: options.signal,
      graceMs: options.graceMs ?? 5000,
      onStdout: write,
      onStderr: write,
    })
    .catch((error: unknown) => {
      log.end();
      throw error;
    });
  const how = `${run.timedOut ? ', timed out' : ''}${run.aborted ? ', cancelled' : ''}`;
  await new Promise<void>((ended) => log.end(`\n[exit ${run.exitCode}${how}]\n`, ended));
  return {
    exitCode: run.exitCode,
    timedOut: run.timedOut,
    aborted: run.aborted,
    killed: run.killed,
    seconds: run.durationMs / 1000,
  };
}
