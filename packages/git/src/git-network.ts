import { spawn } from 'node:child_process';
import { GitCommandFailed } from './errors/git-command-failed.js';
import { GitTimedOut } from './errors/git-timed-out.js';
import { gitEnv } from './git-env.js';

/** The bounds of every git operation that talks to a remote (clone, fetch). */
export interface NetworkLimits {
  /** The whole operation; past it, git and its helpers are killed as a process group. */
  timeoutMs: number;
  /** An http(s) transfer slower than this for `lowSpeedSeconds` is aborted by git itself. */
  lowSpeedBytesPerSecond: number;
  lowSpeedSeconds: number;
  /** GIT_ALLOW_PROTOCOL; absent: git's own defaults (for `kbisect run` on one's own machine). */
  protocols?: readonly string[];
}

export const DEFAULT_NETWORK_LIMITS: NetworkLimits = {
  timeoutMs: 600_000,
  lowSpeedBytesPerSecond: 1000,
  lowSpeedSeconds: 30,
};

/**
 * Runs a git command that may reach a remote, bounded three ways: git's low-speed limit ends
 * a stalled http(s) transfer, ssh gives up on a dead host (BatchMode, ConnectTimeout), and a
 * hard deadline SIGKILLs the process group, which also ends remote helpers (`git-remote-http`)
 * that a kill of git alone would leave waiting. Spawned directly rather than through
 * simple-git, which can only SIGINT the one process.
 */
export function runNetworkGit(
  args: readonly string[],
  { cwd, source, limits }: { cwd: string; source: string; limits: NetworkLimits },
): Promise<void> {
  const connectSeconds = Math.max(1, Math.min(30, Math.ceil(limits.timeoutMs / 1000)));
  const env = gitEnv({
    GIT_TERMINAL_PROMPT: '0',
    GIT_HTTP_LOW_SPEED_LIMIT: String(limits.lowSpeedBytesPerSecond),
    GIT_HTTP_LOW_SPEED_TIME: String(limits.lowSpeedSeconds),
    GIT_SSH_COMMAND: `ssh -o BatchMode=yes -o ConnectTimeout=${connectSeconds}`,
    ...(limits.protocols ? { GIT_ALLOW_PROTOCOL: limits.protocols.join(':') } : {}),
  });
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd,
      env,
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < 16_384) stderr += chunk;
    });
    let timedOut = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, limits.timeoutMs);
    deadline.unref();
    child.on('error', (error) => {
      clearTimeout(deadline);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(deadline);
      if (timedOut) reject(new GitTimedOut(args[0] ?? 'command', source, limits.timeoutMs));
      else if (code === 0) resolve();
      else reject(new GitCommandFailed(code ?? 128, stderr || `killed by ${signal}`));
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // The group is already gone.
  }
}
