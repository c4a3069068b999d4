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
 * Runs one build command in its own process group. Stopping it signals the whole group by
 * pid: SIGTERM first, because make and gcc then delete the targets they were writing (a
 * truncated object newer than its source would poison every later incremental build), and
 * SIGKILL after the grace period for whatever is left.
 */
export async function runInGroup(
  argv: readonly string[],
  options: GroupRunOptions,
): Promise<GroupRunResult> {
  const started = performance.now();
  const log = createWriteStream(options.logPath, { flags: 'a' });
  log.write(`$ ${argv.join(' ')}\n`);
  const child = await options.sandbox.spawn(argv, options.request).catch((error: unknown) => {
    log.end();
    throw error;
  });
  return new Promise((resolve, reject) => {
    let timedOut = false;
    let aborted = false;
    let killed = false;
    let killTimer: NodeJS.Timeout | undefined;
    const signalGroup = (sig: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // ESRCH: the group is already gone.
      }
    };
    const stop = () => {
      signalGroup('SIGTERM');
      killTimer ??= setTimeout(() => {
        killed = true;
        signalGroup('SIGKILL');
      }, options.graceMs ?? 5000);
    };
    const timer = setTimeout(
      () => {
        timedOut = true;
        stop();
      },
      Math.max(0, options.deadline - Date.now()),
    );
    const onAbort = () => {
      aborted = true;
      stop();
    };
    if (options.signal.aborted) onAbort();
    options.signal.addEventListener('abort', onAbort, { once: true });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    const finish = () => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      options.signal.removeEventListener('abort', onAbort);
    };
    child.on('error', (error) => {
      finish();
      log.end();
      reject(error);
    });
    child.on('close', (exitCode) => {
      finish();
      // Helpers that outlived make (rare) must not keep writing into the next build.
      signalGroup('SIGKILL');
      log.end(
        `\n[exit ${exitCode}${timedOut ? ', timed out' : ''}${aborted ? ', cancelled' : ''}]\n`,
        () =>
          resolve({
            exitCode,
            timedOut,
            aborted,
            killed,
            seconds: (performance.now() - started) / 1000,
          }),
      );
    });
  });
}
