import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Worktree } from '@kbisect/git';

/**
 * The worktrees this worker built and that are still in use, by path. A worktree is the
 * artifact of a build for `lab: local`; the coordinator releases it when the commit's verdict
 * is in. Each bisect's worktrees live in a directory of their own, removed when the bisect
 * ends, which also catches checkouts left by a worker that was killed mid-build.
 */
export class LocalWorktrees {
  readonly #byPath = new Map<string, Worktree>();

  constructor(readonly baseDir: string) {}

  dirOf(bisectId: string): string {
    return join(this.baseDir, bisectId);
  }

  keep(worktree: Worktree): void {
    this.#byPath.set(worktree.path, worktree);
  }

  /** Removes one worktree: through git when this process made it, else by deleting it. */
  async release(path: string): Promise<void> {
    const worktree = this.#byPath.get(path);
    this.#byPath.delete(path);
    if (worktree) await worktree.remove();
    else await rm(path, { recursive: true, force: true });
  }

  /** Removes everything the bisect left on this host. */
  async releaseBisect(bisectId: string): Promise<void> {
    const dir = this.dirOf(bisectId);
    const inside = [...this.#byPath.keys()].filter((path) => path.startsWith(`${dir}/`));
    await Promise.allSettled(inside.map((path) => this.release(path)));
    await rm(dir, { recursive: true, force: true });
  }
}
