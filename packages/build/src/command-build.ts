import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { BuildEvidence } from '@kbisect/core';
import type { Sandbox } from '@kbisect/sandbox';
import type { CcacheMode } from './kernel-build-spec.js';
import { type BuildProgressOptions, startProgressTicker } from './progress-ticker.js';
import { findOnPath } from './toolchain.js';

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
  /**
   * A ccache directory: CC and CXX are fronted by ccache (`compilerCacheFor`). With the same
   * build slot every time, a commit recompiles only what changed, from a clean checkout.
   */
  compilerCache?: string;
}

/**
 * The ccache directory a command build uses, or undefined: `off`, or `auto` without ccache
 * installed. `on` without ccache is the user's error, said at the first build (exit 127).
 */
export async function compilerCacheFor(
  mode: CcacheMode,
  cacheDir: string,
): Promise<string | undefined> {
  if (mode === 'off' || (mode === 'auto' && (await findOnPath('ccache')) === undefined)) {
    return undefined;
  }
  const dir = join(cacheDir, 'ccache');
  await mkdir(dir, { recursive: true });
  return dir;
}

/** The environment that puts ccache in front of the compilers a build honours CC/CXX for. */
function compilerCacheEnv(ccacheDir: string, worktree: string): Record<string, string> {
  return {
    CC: 'ccache cc',
    CXX: 'ccache c++',
    CCACHE_DIR: ccacheDir,
    // Paths under the worktree become relative, so another slot's checkout hits the cache too.
    CCACHE_BASEDIR: worktree,
  };
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
  compilerCache,
}: ShellBuildOptions): BuildCommand {
  return {
    description: command,
    async run({ dir, commit, signal, progress = {} }) {
      const started = performance.now();
      const short = commit.slice(0, 12);
      progress.log?.info(
        { command, dir, host: hostname(), ccache: compilerCache !== undefined },
        `build ${short}: \`${command}\` in ${dir} on ${hostname()}${compilerCache ? ' (CC and CXX through ccache)' : ''}`,
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
          {
            cwd: dir,
            env: {
              ...(compilerCache ? compilerCacheEnv(compilerCache, dir) : {}),
              KBISECT_COMMIT: commit,
            },
            writable: compilerCache ? [dir, compilerCache] : [dir],
            network,
          },
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
