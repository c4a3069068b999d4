import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type JobOwner, ownerFromText, ownerKey, ownerText } from '@kbisect/contracts';
import {
  type AcquireOptions,
  isSlotPath,
  releaseSlot,
  releaseSlotsOf,
  type Worktree,
} from '@kbisect/git';
import { ownerEnded, type Stores } from '@kbisect/queue';

/**
 * The worktrees this host's builds made and that are still in use. A worktree is the
 * artifact of a build for `lab: local`. Most are build slots of their repository (kept between
 * commits), held by the build job that checked its commit out until its owner gives it back:
 * the coordinator when the commit's verdict is in, or the end of the bisect (or watch run).
 * A hold survives the worker that built it, so a restarted coordinator tests the tree it
 * built or, when the slot moved on, builds again (`slotProblem`); holds of owners that ended
 * without giving them back (a crash) are taken by the next build. Fresh worktrees, made when
 * every slot was held, live in a directory per owner, removed when the owner ends.
 */
export class LocalWorktrees {
  readonly #byPath = new Map<string, { worktree: Worktree; owner: string }>();

  /**
   * `baseDir`: the owners' directories of fresh worktrees; `slotsWorktreesDir`: the worktrees
   * directory of the repositories, whose `slots/` holds their build slots.
   */
  constructor(
    readonly baseDir: string,
    private readonly slotsWorktreesDir = baseDir,
  ) {}

  dirOf(owner: string): string {
    return join(this.baseDir, owner);
  }

  /** How a build job of `owner` holds a slot; `stores` says whether an older hold's owner ended. */
  holdFor(owner: JobOwner, job: string, stores: Pick<Stores, 'bisects' | 'watches'>) {
    return {
      holder: { owner: ownerText(owner), job },
      ownerEnded: async (text: string) => {
        const held = ownerFromText(text);
        return held === undefined || (await ownerEnded(stores, held));
      },
    } satisfies AcquireOptions;
  }

  keep(worktree: Worktree, owner: string): void {
    this.#byPath.set(worktree.path, { worktree, owner });
  }

  /**
   * Gives one worktree back: a slot by its hold file when `built` names the job (only if that
   * job of `owner` still holds it, whichever run of it took the hold last: the one kept here
   * may be a run that lost its lock), else through the object that made it when this process
   * did, anything else by deleting it (another process built it).
   */
  async release(path: string, built?: { owner: JobOwner; job: string }): Promise<void> {
    const kept = this.#byPath.get(path);
    this.#byPath.delete(path);
    if (isSlotPath(path) && built) {
      await releaseSlot(path, { owner: ownerText(built.owner), job: built.job });
    } else if (kept) await kept.worktree.remove();
    else if (!isSlotPath(path)) await rm(path, { recursive: true, force: true });
  }

  /** Gives back everything the bisect (or watch run) still holds on this host. */
  async releaseOwner(owner: JobOwner): Promise<void> {
    const key = ownerKey(owner);
    const dir = this.dirOf(key);
    const held = [...this.#byPath]
      .filter(([path, kept]) => kept.owner === key || path.startsWith(`${dir}/`))
      .map(([path]) => path);
    await Promise.allSettled(held.map((path) => this.release(path)));
    await releaseSlotsOf(this.slotsWorktreesDir, ownerText(owner));
    await rm(dir, { recursive: true, force: true });
  }
}
