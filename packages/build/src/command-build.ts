import { hostname } from 'node:os';
import type { BuildEvidence } from '@kbisect/core';
import type { Sandbox } from '@kbisect/sandbox';
import { type BuildProgressOptions, startProgressTicker } from './progress-ticker.js';

export interface BuildContext {
  /** The worktree to build in. */
  dir: string;
  commit: string;
  signal: AbortSignal;
  /** Where the build says that it started and, while it runs, how long it has taken. */
  progress?: BuildProgressOptions;
}

/** Builds one commit. A failed build is evidence (a skip), never an exception. */
export interface BuildCommand {
  readonly description: string;
  run(context: BuildContext): Promise<BuildEvidence>;
}

export interface ShellBuildOptions {
  /** The user's build command line, e.g. `make -j2`. */
  command: string;
  timeoutMs: number;
  /** Where the command runs: a clean environment, maybe another user and bwrap. */
  sandbox: Sandbox;
  /** The spec asked for network for its build. */
  network?: boolean;
  /** How many lines of output to keep as evidence of a failure. */
  tailLines?: number;
}

/**
 * Runs the user's build command with `sh -c` in the worktree, in the sandbox: the worktree is
 * all it may write, and the commit is all it learns of the service. The command runs in its
 * own process group so that a timeout or a cancel kills every compiler it started, by pid.
 */
export function shellBuild({
  command,
  timeoutMs,
  sandbox,
  network = false,
  tailLines = 30,
}: ShellBuildOptions): BuildCommand {
  return {
    description: command,
    async run({ dir, commit, signal, progress = {} }) {
      const started = performance.now();
      const short = commit.slice(0, 12);
      progress.log?.info(
        { command, dir, host: hostname() },
        `build ${short}: \`${command}\` in ${dir} on ${hostname()}`,
      );
      const ticker = startProgressTicker(progress, () => ({
        commit: short,
        elapsedSeconds: (performance.now() - started) / 1000,
      }));
      const output = new TailBuffer(tailLines);
      const keep = (chunk: Buffer) => output.push(chunk);
      try {
        const run = await sandbox.run(
          ['sh', '-c', command],
          { cwd: dir, env: { KBISECT_COMMIT: commit }, network },
          { timeoutMs, signal, onStdout: keep, onStderr: keep },
        );
        const ok = run.exitCode === 0 && !run.timedOut;
        return {
          ok,
          seconds: run.durationMs / 1000,
          ...(ok ? {} : { logTail: output.text() }),
          ...(run.timedOut ? { timedOut: true } : {}),
        };
      } finally {
        ticker.stop();
      }
    },
  };
}

/** Keeps only the last lines of a long build log in memory. */
class TailBuffer {
  private lines: string[] = [];
  private partial = '';
  constructor(private readonly max: number) {}

  push(chunk: Buffer): void {
    const parts = (this.partial + chunk.toString('utf8')).split('\n');
    this.partial = parts.pop() ?? '';
    this.lines.push(...parts);
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
  }

  text(): string {
    return [...this.lines, this.partial]
      .filter((l) => l !== '')
      .slice(-this.max)
      .join('\n');
  }
}
