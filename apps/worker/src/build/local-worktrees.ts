import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isSlot, releaseSlot, type Worktree } from '@kbisect/git';

/**
 * The worktrees this worker built and that are still in use, by path. A worktree is the
 * artifact of a build for `lab: local`; the coordinator releases it when the commit's verdict
 * is in. Most are build slots of their repository (kept between commits, given back here);
 * fresh ones, made when every slot was busy, live in a directory per bisect, removed when the
 * bisect ends, which also catches checkouts left by a worker that was killed mid-build.
 */
export class LocalWorktrees {
  readonly #byPath = new Map<string, { worktree: Worktree; owner: string }>();

  constructor(readonly baseDir: string) {}

  dirOf(bisectId: string): string {
    return join(this.baseDir, bisectId);
  }

  keep(worktree: Worktree, owner: string): void {
    this.#byPath.set(worktree.path, { worktree, owner });
  }

  /**
   * Gives one worktree back: through the object that made it when this process did, else a
   * slot by its hold file and anything else by deleting it (another process built it).
   */
  async release(path: string): Promise<void> {
    const kept = this.#byPath.get(path);
    this.#byPath.delete(path);
    if (kept) await kept.worktree.remove();
    else if (isSlot(path)) await releaseSlot(path);
    else await rm(path, { recursive: true, force: true });
  }

  /** Gives back everything the bisect (or watch run) still holds on this host. */
  async releaseBisect(bisectId: string): Promise<void> {
    const dir = this.dirOf(bisectId);
    const held = [...this.#byPath]
      .filter(([path, kept]) => kept.owner === bisectId || path.startsWith(`${dir}/`))
      .map(([path]) => path);
    await Promise.allSettled(held.map((path) => this.release(path)));
    await rm(dir, { recursive: true, force: true });
  }
}
