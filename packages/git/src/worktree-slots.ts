import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { link, mkdir, readdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { holderIsDead, thisProcess, withFileLock } from './file-lock.js';
import { gitIn } from './git-client.js';
import { assertSha } from './sha.js';
import { addWorktree, type Worktree, worktreeLockPath } from './worktree.js';
import { trackWorktree, untrackWorktree } from './worktree-registry.js';

/** How many slots a repository keeps: one per build running at once, and a few spare. */
const DEFAULT_MAX_SLOTS = 4;
const SLOT_NAME = /^slot-\d+$/;
/** Under a cache's worktrees directory: `slots/<mirror>/slot-N`. */
const SLOTS_DIR = 'slots';

/**
 * A service build job holding a slot: `owner` is whatever its caller names owners by (the
 * bisect or the watch run), `job` the build job's id. Unlike a process, a job's hold outlives
 * the process that built it: the commit's tests still need the checkout after a worker dies.
 */
export interface SlotHolder {
  owner: string;
  job: string;
  /**
   * Which run of the job: each `acquire` names its own. A job whose lock was lost runs twice
   * at once (the first run goes on while the queue gives the job to another worker); the run
   * that took the hold over is the one whose result counts, so the other one's `remove()`
   * must leave it. Without `run`, a release names the job, whichever run holds it.
   */
  run?: string;
}

/** What a hold file says: a process (`kbisect run`), or a build job of the service. */
export type SlotHold =
  | { kind: 'process'; process: string }
  | ({ kind: 'job'; commit: string } & SlotHolder);

export interface AcquireOptions {
  /** The build job the slot is for; without it, this process holds the slot. */
  holder?: SlotHolder;
  /** Whether a job hold's owner has ended (its bisect finished before giving it back). */
  ownerEnded?: (owner: string) => Promise<boolean>;
}

/**
 * Build slots: worktrees of one repository kept between commits, so a build command starts
 * from a checkout that exists rather than a fresh one, with the same path every time (which
 * is what lets a compiler cache hit). Never stale: before each build the slot is checked out
 * at the commit with `--force` and cleaned of every untracked and ignored file
 * (`git clean -ffdx`), so nothing an earlier commit built survives into this one.
 *
 * A slot is held while `<slot>.held` exists (created with O_EXCL). A process hold (`pid@host`,
 * `kbisect run`) is taken over once that process is gone from this host. A job hold (JSON: the
 * owner, the build job, the commit) is not: the commit's tests run after its build job ended,
 * maybe after its worker died, and a restarted coordinator re-attaches to that build. It ends
 * when the owner gives it back (`releaseSlot` naming the job, `releaseSlotsOf` the owner),
 * when the same job runs again (a retry after a crash, or after its lock was lost: that run's
 * hold, which the first run's `remove()` then leaves), or when `ownerEnded` says so. When every
 * slot is held, a fresh worktree is made as before, under `fallbackDir`.
 */
export class WorktreeSlots {
  constructor(
    private readonly mirrorPath: string,
    readonly dir: string,
    private readonly maxSlots = DEFAULT_MAX_SLOTS,
  ) {}

  /** A clean checkout of `sha` in a free slot, or a fresh worktree when none is free. */
  async acquire(sha: string, fallbackDir: string, options: AcquireOptions = {}): Promise<Worktree> {
    assertSha(sha, 'worktree commit');
    await mkdir(this.dir, { recursive: true });
    const holder = options.holder && { ...options.holder, run: randomBytes(6).toString('hex') };
    const text = holder
      ? JSON.stringify({ owner: holder.owner, job: holder.job, commit: sha, run: holder.run })
      : thisProcess();
    for (let n = 0; n < this.maxSlots; n++) {
      const path = join(this.dir, `slot-${n}`);
      if (!(await takeHold(path, text, options))) continue;
      try {
        await this.checkOut(path, sha);
      } catch (error) {
        await releaseSlot(path, holder);
        throw error;
      }
      let released: Promise<void> | undefined;
      const remove = () => {
        released ??= releaseSlot(path, holder).then(() => untrackWorktree(path));
        return released;
      };
      // Given back if the process is interrupted (kbisect run's Ctrl-C), as worktrees are
      // removed; a job's hold stays for its owner to give back.
      if (!options.holder) {
        trackWorktree({
          path,
          mirrorPath: this.mirrorPath,
          remove,
          removeSync: () => rmSync(`${path}.held`, { force: true }),
        });
      }
      return { path, sha, remove };
    }
    return addWorktree(this.mirrorPath, sha, fallbackDir);
  }

  /** Moves a held slot to `sha` and removes everything git does not track there. */
  private async checkOut(path: string, sha: string): Promise<void> {
    if (existsSync(join(path, '.git'))) {
      try {
        const git = gitIn(path);
        await git.raw([...safeIn(path), 'checkout', '--detach', '--force', '--quiet', sha]);
        await git.raw([...safeIn(path), 'clean', '-ffdxq']);
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

/** Where a repository's slots live in a cache's worktrees directory. */
export function slotsDirOf(worktreesDir: string, mirrorPath: string): string {
  return join(worktreesDir, SLOTS_DIR, basename(mirrorPath));
}

/** True when `path` names a build slot (a fresh worktree is named after its commit). */
export function isSlotPath(path: string): boolean {
  return SLOT_NAME.test(basename(path));
}

/** True when `path` is a held build slot: its worktree is given back, never deleted. */
export function isSlot(path: string): boolean {
  return isSlotPath(path) && existsSync(`${path}.held`);
}

export async function readSlotHold(path: string): Promise<SlotHold | undefined> {
  return parseHold(await readFile(`${path}.held`, 'utf8').catch(() => ''));
}

/**
 * Gives a slot back; its checkout stays for the next build. With a holder, only while the
 * hold still names that job (and that run of it, when given): a late or repeated release
 * never frees a slot someone else took.
 */
export async function releaseSlot(path: string, holder?: SlotHolder): Promise<void> {
  if (holder) {
    const hold = await readSlotHold(path);
    if (hold?.kind !== 'job' || hold.job !== holder.job || hold.owner !== holder.owner) return;
    if (holder.run !== undefined && hold.run !== holder.run) return;
  }
  await unlink(`${path}.held`).catch(() => {});
}

/**
 * Gives back every slot under a cache's worktrees directory that a job of `owner` holds: the
 * end of a bisect, whichever process built its commits.
 */
export async function releaseSlotsOf(worktreesDir: string, owner: string): Promise<void> {
  const root = join(worktreesDir, SLOTS_DIR);
  const mirrors = await readdir(root).catch(() => [] as string[]);
  for (const mirror of mirrors) {
    const names = await readdir(join(root, mirror)).catch(() => [] as string[]);
    for (const name of names) {
      if (!name.endsWith('.held')) continue;
      const path = join(root, mirror, name.slice(0, -'.held'.length));
      const hold = await readSlotHold(path);
      if (hold?.kind === 'job' && hold.owner === owner) await releaseSlot(path, hold);
    }
  }
}

/**
 * Why the slot at `path` no longer holds what `expected`'s job built, or undefined when it
 * does: the hold still names the owner (and the job, when given), HEAD is the commit, and with
 * `clean` no tracked file differs from it. A slot that passes was checked out for that job and
 * nobody has checked it out since, so testing it tests that commit.
 */
export async function slotProblem(
  path: string,
  expected: { owner: string; job?: string; commit: string; clean?: boolean },
): Promise<string | undefined> {
  const hold = await readSlotHold(path);
  if (hold?.kind !== 'job' || hold.owner !== expected.owner) {
    return `build slot ${path} is no longer held by ${expected.owner}`;
  }
  if (expected.job !== undefined && hold.job !== expected.job) {
    return `build slot ${path} was taken by job ${hold.job}`;
  }
  const git = gitIn(path);
  const head = (await git.raw([...safeIn(path), 'rev-parse', 'HEAD']).catch(() => '')).trim();
  if (head !== expected.commit || hold.commit !== expected.commit) {
    return `build slot ${path} holds ${head.slice(0, 12) || 'no commit'}, not ${expected.commit.slice(0, 12)}`;
  }
  if (expected.clean) {
    const changed = await git
      .raw([...safeIn(path), 'status', '--porcelain', '--untracked-files=no'])
      .catch(() => 'unreadable');
    if (changed.trim() !== '') return `build slot ${path} has tracked files changed since checkout`;
  }
  return undefined;
}

/**
 * The last build may have run as the sandbox's runAs user, who then owns the checkout: git
 * would refuse a repository owned by someone else without this.
 */
const safeIn = (path: string) => ['-c', `safe.directory=${path}`];

function parseHold(text: string): SlotHold | undefined {
  if (text === '') return undefined;
  if (!text.startsWith('{')) return { kind: 'process', process: text };
  try {
    const { owner, job, commit, run } = JSON.parse(text) as Record<string, unknown>;
    if (typeof owner === 'string' && typeof job === 'string' && typeof commit === 'string') {
      return { kind: 'job', owner, job, commit, ...(typeof run === 'string' ? { run } : {}) };
    }
  } catch {
    // Half written: treated as held, like an empty file.
  }
  return undefined;
}

/**
 * Takes the hold of `path` for `text`. A hold may be taken over only when it cannot be in
 * use any more: its process is gone, it is the same job running again, or its owner ended.
 */
async function takeHold(path: string, text: string, options: AcquireOptions): Promise<boolean> {
  const file = `${path}.held`;
  for (let attempt = 0; attempt < 2; attempt++) {
    if (await createWith(file, text)) return true;
    const held = await readFile(file, 'utf8').catch(() => '');
    const hold = parseHold(held);
    if (!hold || !(await holdIsOver(hold, options))) return false;
    // Re-read right before breaking it, so a hold a live process just took stays.
    if ((await readFile(file, 'utf8').catch(() => '')) !== held) return false;
    if (hold.kind === 'job' && hold.job === options.holder?.job) {
      const next = draftOf(file);
      await writeFile(next, text);
      await rename(next, file);
      return true;
    }
    await unlink(file).catch(() => {});
  }
  return false;
}

/**
 * Creates `file` holding `text`, or returns false when it exists. The text is written to a
 * file of its own first and linked into place, so a hold is never seen empty: a process
 * killed between an O_EXCL create and its write left an empty hold that nobody could tell
 * from one being written, and the slot was held for ever.
 */
async function createWith(file: string, text: string): Promise<boolean> {
  const draft = draftOf(file);
  await writeFile(draft, text);
  try {
    await link(draft, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return false;
  } finally {
    await unlink(draft).catch(() => {});
  }
}

/** A file beside `file` that only this call writes, to be linked or renamed into place. */
const draftOf = (file: string) => `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;

async function holdIsOver(hold: SlotHold, { holder, ownerEnded }: AcquireOptions) {
  if (hold.kind === 'process') return holderIsDead(hold.process);
  if (holder && hold.job === holder.job && hold.owner === holder.owner) return true;
  return (await ownerEnded?.(hold.owner)) ?? false;
}
