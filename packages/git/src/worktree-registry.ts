import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { gitEnv } from './git-env.js';

interface TrackedWorktree {
  path: string;
  mirrorPath: string;
  remove(): Promise<void>;
  /** For an exit handler: a build slot is given back (its hold file removed), not deleted. */
  removeSync?: () => void;
}

/**
 * Every worktree this process created and has not removed yet, so a SIGINT/SIGTERM handler
 * can leave no checkout behind. Module state on purpose: there is one process to clean up.
 */
const tracked = new Map<string, TrackedWorktree>();

export function trackWorktree(worktree: TrackedWorktree): void {
  tracked.set(worktree.path, worktree);
}

export function untrackWorktree(path: string): void {
  tracked.delete(path);
}

/** Paths of the worktrees this process made and has not removed yet. */
export function trackedWorktrees(): string[] {
  return [...tracked.keys()];
}

/**
 * Removes every worktree this process made. Tries all of them; if any removal failed,
 * rejects with an AggregateError afterwards.
 */
export async function removeAllWorktrees(): Promise<void> {
  const results = await Promise.allSettled(
    [...tracked.values()].map((worktree) => worktree.remove()),
  );
  const failures = results.flatMap((result) =>
    result.status === 'rejected' ? [result.reason] : [],
  );
  if (failures.length > 0) {
    throw new AggregateError(failures, `${failures.length} worktree(s) could not be removed`);
  }
}

/**
 * The synchronous variant for signal and `exit` handlers, where promises may never settle.
 * Best effort, and without the worktree lock a handler cannot wait for: checkouts are
 * deleted, then each mirror forgets them with `git worktree prune`.
 */
export function removeAllWorktreesSync(): void {
  const mirrors = new Set<string>();
  for (const { path, mirrorPath, removeSync } of tracked.values()) {
    if (removeSync) {
      bestEffort(removeSync);
      continue;
    }
    mirrors.add(mirrorPath);
    bestEffort(() => rmSync(path, { recursive: true, force: true }));
  }
  for (const mirrorPath of mirrors) {
    bestEffort(() =>
      execFileSync('git', ['worktree', 'prune'], {
        cwd: mirrorPath,
        env: gitEnv(),
        stdio: 'ignore',
      }),
    );
  }
  tracked.clear();
}

function bestEffort(step: () => unknown): void {
  try {
    step();
  } catch {
    // Cleanup must go on with the next worktree; the caller is exiting anyway.
  }
}
