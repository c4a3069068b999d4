import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { withFileLock } from './file-lock.js';
import { gitIn } from './git-client.js';
import { assertSha } from './sha.js';
import { trackWorktree, untrackWorktree } from './worktree-registry.js';

/** A detached checkout of one commit, made from the mirror; the user's checkout is never used. */
export interface Worktree {
  path: string;
  sha: string;
  /** Removes the checkout and its bookkeeping in the mirror. Safe to call more than once. */
  remove(): Promise<void>;
}

/**
 * `git worktree add --detach` in `mirrorPath`, in a fresh directory under `baseDir`.
 *
 * git (2.39) fails with "failed to read worktrees/<id>/commondir" when one `worktree add`
 * lists the worktrees while another is half registered, so adding, removing and pruning hold
 * the mirror's worktree lock. Only the registration is locked: the checkout and the deletion,
 * which take seconds for a kernel, run outside it so parallel builds do not queue.
 */
export async function addWorktree(
  mirrorPath: string,
  sha: string,
  baseDir: string,
): Promise<Worktree> {
  assertSha(sha, 'worktree commit');
  await mkdir(baseDir, { recursive: true });
  const path = await mkdtemp(join(baseDir, `${sha.slice(0, 12)}-`));
  const git = gitIn(mirrorPath);
  const lockPath = worktreeLockPath(mirrorPath);
  let removal: Promise<void> | undefined;
  const worktree: Worktree = {
    path,
    sha,
    remove() {
      // What `worktree remove --force` does, split so that deleting a kernel tree happens
      // outside the lock and only the bookkeeping (prune) inside it. This also covers a
      // checkout that was half made or already deleted by hand.
      removal ??= (async () => {
        await rm(path, { recursive: true, force: true });
        await withFileLock(lockPath, () => git.raw(['worktree', 'prune']));
        untrackWorktree(path);
      })();
      return removal;
    },
  };
  trackWorktree({ path, mirrorPath, remove: worktree.remove });
  try {
    await withFileLock(lockPath, () =>
      git.raw(['worktree', 'add', '--detach', '--no-checkout', path, sha]),
    );
    await gitIn(path).raw(['reset', '--hard', '--quiet']);
  } catch (error) {
    await worktree.remove().catch(() => {});
    throw error;
  }
  return worktree;
}

/** Serialises worktree registration in one mirror, across processes. */
export function worktreeLockPath(mirrorPath: string): string {
  return `${mirrorPath}.worktrees.lock`;
}
