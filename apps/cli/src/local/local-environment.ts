import type { BuildCommand, BuildProgressOptions } from '@kbisect/build';
import type { BisectEnvironment, PreparedCommit } from '@kbisect/core';
import type { Repository, Worktree } from '@kbisect/git';
import type { Oracle } from '@kbisect/oracle';

export interface LocalPrepared extends PreparedCommit {
  worktree: Worktree;
}

export interface LocalEnvironmentOptions {
  repo: Repository;
  build?: BuildCommand;
  oracle: Oracle;
  /** Where worktrees go; the user's own checkout is never touched. */
  worktreeDir: string;
  /** Where a build says that it started and, every interval, how long it has run. */
  buildProgress?: BuildProgressOptions;
  /**
   * Commits tested at once (`--parallel-tests N`), each in its own worktree: only the user
   * knows whether their oracle may run side by side on this machine, so 1 unless they say.
   */
  testSlots?: number;
}

/**
 * `kbisect run` on one machine: each commit checked out clean in a build slot of the
 * repository (or a fresh worktree when the slots are busy), the build command in it, then the
 * oracle in it. The checkout is held until the commit's verdict is in.
 */
export function localEnvironment(
  options: LocalEnvironmentOptions,
): BisectEnvironment<LocalPrepared> {
  const { repo, build, oracle, worktreeDir, buildProgress, testSlots } = options;

  const prepareIn = async (worktree: Worktree, signal: AbortSignal): Promise<LocalPrepared> => {
    if (!build) return { commit: worktree.sha, worktree, build: { ok: true, seconds: 0 } };
    const evidence = await build.run({
      dir: worktree.path,
      commit: worktree.sha,
      signal,
      ...(buildProgress ? { progress: buildProgress } : {}),
    });
    return { commit: worktree.sha, worktree, build: evidence };
  };

  return {
    ...(testSlots !== undefined ? { testSlots: () => testSlots } : {}),
    async prepare(commit, signal) {
      const worktree = await repo.buildWorktree(commit, { baseDir: worktreeDir });
      try {
        return await prepareIn(worktree, signal);
      } catch (error) {
        await worktree.remove();
        throw error;
      }
    },
    measure(prepared, signal) {
      return oracle.measure({ commit: prepared.commit, dir: prepared.worktree.path, signal });
    },
    release(prepared) {
      return prepared.worktree.remove();
    },
    async prepareRevert(onto, commit, signal) {
      const worktree = await repo.revertWorktree(onto, commit, { baseDir: worktreeDir });
      if (!worktree.clean) {
        await worktree.remove();
        return null;
      }
      try {
        return await prepareIn(worktree, signal);
      } catch (error) {
        await worktree.remove();
        throw error;
      }
    },
  };
}
