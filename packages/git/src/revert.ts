import { GitCommandFailed } from './errors/git-command-failed.js';
import { gitIn } from './git-client.js';
import { assertSha } from './sha.js';
import type { Worktree } from './worktree.js';

/**
 * A worktree at `onto` with `commit` reverted but not committed. When `clean` is false the
 * conflicting paths are listed and the checkout holds git's conflict markers.
 */
export interface RevertWorktree extends Worktree {
  onto: string;
  commit: string;
  clean: boolean;
  conflicts: string[];
}

/**
 * Applies `git revert --no-commit` (with `-m 1` for a merge: undo what the merge brought in
 * relative to its first parent) in a fresh worktree checked out at the commit to revert onto.
 * The worktree is removed if anything goes wrong other than a conflict.
 */
export async function applyRevert(
  worktree: Worktree,
  commit: string,
  parentCount: number,
): Promise<RevertWorktree> {
  assertSha(commit, 'commit to revert');
  const git = gitIn(worktree.path);
  const args = ['revert', '--no-commit'];
  if (parentCount > 1) args.push('-m', '1');
  args.push(commit);
  try {
    await git.raw(args);
    return { ...worktree, onto: worktree.sha, commit, clean: true, conflicts: [] };
  } catch (error) {
    const conflicts =
      error instanceof GitCommandFailed ? await unmergedPaths(worktree.path).catch(() => []) : [];
    if (conflicts.length === 0) {
      await worktree.remove().catch(() => {});
      throw error;
    }
    return { ...worktree, onto: worktree.sha, commit, clean: false, conflicts };
  }
}

async function unmergedPaths(path: string): Promise<string[]> {
  const output = await gitIn(path).raw(['diff', '--name-only', '--diff-filter=U', '-z']);
  return output.split('\0').filter((name) => name.length > 0);
}
