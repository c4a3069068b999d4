import { existsSync, rmSync } from 'node:fs';
import { mkdir, open, readFile, rm, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { holderIsDead, thisProcess, withFileLock } from './file-lock.js';
import { gitIn } from './git-client.js';
import { assertSha } from './sha.js';
import { addWorktree, type Worktree, worktreeLockPath } from './worktree.js';
import { trackWorktree, untrackWorktree } from './worktree-registry.js';

/** How many slots a repository keeps: one per build running at once, and a few spare. */
const DEFAULT_MAX_SLOTS = 4;
const SLOT_NAME = /^slot-\d+$/;

/**
 * Build slots: worktrees of one repository kept between commits, so a build command starts
 * from a checkout that exists rather than a fresh one, with the same path every time (which
 * is what lets a compiler cache hit). Never stale: before each build the slot is checked out
 * at the commit with `--force` and cleaned of every untracked and ignored file
 * (`git clean -ffdx`), so nothing an earlier commit built survives into this one.
 *
 * A slot is held while `<slot>.held` exists (created with O_EXCL; it names the holder,
 * `pid@host`): the build's process takes it, and any process on the host may give it back
 * (the coordinator releases a commit's worktree when its verdict is in). A hold whose process
 * is gone from this host is taken over. When every slot is held, a fresh worktree is made as
 * before, under `fallbackDir`.
 */
export class WorktreeSlots {
  constructor(
    private readonly mirrorPath: string,
    readonly dir: string,
    private readonly maxSlots = DEFAULT_MAX_SLOTS,
  ) {}

  /** A clean checkout of `sha` in a free slot, or a fresh worktree when none is free. */
  async acquire(sha: string, fallbackDir: string): Promise<Worktree> {
    assertSha(sha, 'worktree commit');
    await mkdir(this.dir, { recursive: true });
    for (let n = 0; n < this.maxSlots; n++) {
      const path = join(this.dir, `slot-${n}`);
      if (!(await takeHold(path))) continue;
      try {
        await this.checkOut(path, sha);
      } catch (error) {
        await releaseSlot(path);
        throw error;
      }
      let released: Promise<void> | undefined;
      const remove = () => {
        released ??= releaseSlot(path).then(() => untrackWorktree(path));
        return released;
      };
      // Given back if the process is interrupted (kbisect run's Ctrl-C), as worktrees are removed.
      trackWorktree({
        path,
        mirrorPath: this.mirrorPath,
        remove,
        removeSync: () => rmSync(`${path}.held`, { force: true }),
      });
      return { path, sha, remove };
    }
    return addWorktree(this.mirrorPath, sha, fallbackDir);
  }

  /** Moves a held slot to `sha` and removes everything git does not track there. */
  private async checkOut(path: string, sha: string): Promise<void> {
    if (existsSync(join(path, '.git'))) {
      try {
        // The last build may have run as the sandbox's runAs user, who then owns the
        // checkout: git would refuse a repository owned by someone else without this.
        const git = gitIn(path);
        const safe = ['-c', `safe.directory=${path}`];
        await git.raw([...safe, 'checkout', '--detach', '--force', '--quiet', sha]);
        await git.raw([...safe, 'clean', '-ffdxq']);
        return;
      } catch {
        // A slot git no longer knows (the mirror was pruned, the checkout broken): remake it.
      }
    }
    await rm(path, { recursive: true, force: true });
    const mirror = gitIn(this.mirrorPath);
    await withFileLock(worktreeLockPath(this.mirrorPath), async () => {
      await mirror.raw(['worktree', 'prune']);
      await mirror.raw(['worktree', 'add', '--detach', '--no-checkout', path, sha]);
    });
    await gitIn(path).raw(['reset', '--hard', '--quiet']);
  }
}

/** True when `path` is a build slot: its worktree is given back, never deleted. */
export function isSlot(path: string): boolean {
  return SLOT_NAME.test(basename(path)) && existsSync(`${path}.held`);
}

/** Gives a slot back; its checkout stays for the next build. */
export async function releaseSlot(path: string): Promise<void> {
  await unlink(`${path}.held`).catch(() => {});
}

async function takeHold(path: string): Promise<boolean> {
  const hold = `${path}.held`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(hold, 'wx');
      await handle.writeFile(thisProcess());
      await handle.close();
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readFile(hold, 'utf8').catch(() => '');
    if (!holder || !holderIsDead(holder)) return false;
    // Re-read right before breaking it, so a hold a live process just took stays.
    if ((await readFile(hold, 'utf8').catch(() => '')) !== holder) return false;
    await unlink(hold).catch(() => {});
  }
  return false;
}
