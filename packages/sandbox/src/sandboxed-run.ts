import { groupMembers } from './proc.js';
import { signalGroup } from './process-groups.js';
import type { Sandbox, SandboxRequest } from './sandbox.js';

export interface RunControl {
  /** The run is stopped after this many ms; `timedOut` says so. */
  timeoutMs: number;
  /** Aborting stops the run; `aborted` says so. */
  signal?: AbortSignal;
  /**
   * How long the group gets after SIGTERM before SIGKILL. make and gcc delete the targets
   * they were writing on SIGTERM (a truncated object newer than its source would poison every
   * later incremental build); 0, the default, kills at once.
   */
  graceMs?: number;
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
}

export interface SandboxedRun {
  /** Null when the process was ended by a signal. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  /** SIGKILL was needed after a SIGTERM: half-written files may remain. */
  killed: boolean;
  durationMs: number;
}

/**
 * Runs `argv` in the sandbox to its end: the one place where a command's timeout, a cancel
 * and the kill of its whole process group (by pid) are decided, for build commands, kernel
 * make steps, oracles and probes alike. A program that cannot start rejects; every other end
 * resolves with how it ended.
 */
export async function runSandboxed(
  sandbox: Sandbox,
  argv: readonly string[],
  request: SandboxRequest,
  control: RunControl,
): Promise<SandboxedRun> {
  const started = performance.now();
  const child = await sandbox.spawn(argv, request);
  return new Promise((resolve, reject) => {
    let timedOut = false;
    let aborted = false;
    let killed = false;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const signalChild = (signal: NodeJS.Signals) => {
      if (child.pid !== undefined) signalGroup(child.pid, signal);
    };
    const stop = () => {
      const grace = control.graceMs ?? 0;
      if (grace <= 0) {
        signalChild('SIGKILL');
        return;
      }
      signalChild('SIGTERM');
      killTimer ??= setTimeout(() => {
        killed = true;
        signalChild('SIGKILL');
      }, grace);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, control.timeoutMs);
    const onAbort = () => {
      aborted = true;
      stop();
    };
    control.signal?.addEventListener('abort', onAbort, { once: true });
    if (control.signal?.aborted) onAbort();
    const cleanUp = () => {
      settled = true;
      clearTimeout(timer);
      clearTimeout(killTimer);
      control.signal?.removeEventListener('abort', onAbort);
    };
    if (control.onStdout) child.stdout.on('data', control.onStdout);
    else child.stdout.resume();
    if (control.onStderr) child.stderr.on('data', control.onStderr);
    else child.stderr.resume();
    child.on('error', (error) => {
      if (settled) return;
      cleanUp();
      signalChild('SIGKILL');
      reject(error);
    });
    child.on('close', async (exitCode, signal) => {
      if (settled) return;
      cleanUp();
      if (child.pid !== undefined) await groupGone(child.pid);
      resolve({
        exitCode,
        signal,
        timedOut,
        aborted,
        killed,
        durationMs: performance.now() - started,
      });
    });
  });
}

/**
 * Kills what is left of the group and waits until the kernel has ended it: a run resolves
 * only when nothing it started still runs (a helper that outlived its oracle would disturb
 * the next measurement). Bounded, because a process in uninterruptible sleep may take longer.
 */
async function groupGone(pgid: number, limitMs = 2000): Promise<void> {
  const until = performance.now() + limitMs;
  for (;;) {
    signalGroup(pgid, 'SIGKILL');
    if (groupMembers(pgid).length === 0 || performance.now() > until) return;
    await new Promise((tick) => setTimeout(tick, 10));
  }
}
