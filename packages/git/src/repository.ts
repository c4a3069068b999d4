import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { GitPluginError, type SimpleGit } from 'simple-git';
import type { CommitInfo } from './commit-info.js';
import { readCommitInfos } from './commit-info.js';
import type { CommitNode } from './commit-node.js';
import { GitCommandFailed } from './errors/git-command-failed.js';
import { UnknownRef } from './errors/unknown-ref.js';
import { withFileLock } from './file-lock.js';
import { exitedWith, gitIn } from './git-client.js';
import { gitEnv } from './git-env.js';
import { DEFAULT_NETWORK_LIMITS, type NetworkLimits, runNetworkGit } from './git-network.js';
import { type RevListOptions, revListRange } from './rev-list.js';
import { applyRevert, type RevertWorktree } from './revert.js';
import { assertSha } from './sha.js';
import { addWorktree, type Worktree } from './worktree.js';
import { type AcquireOptions, slotsDirOf, WorktreeSlots } from './worktree-slots.js';

/** `Repository.revertCommit`: the revert as a commit, or the paths that conflict. */
export type RevertCommit =
  | { clean: true; sha: string; tree: string }
  | { clean: false; conflicts: string[] };

const execFileAsync = promisify(execFile);

export interface RepositoryLocation {
  /** The source as given by the user, normalised (absolute path or URL). */
  source: string;
  /** The bare mirror clone all commands run in. */
  mirrorPath: string;
  /** Default parent directory of worktrees. */
  worktreesDir: string;
  /** Bounds of `fetch` (default DEFAULT_NETWORK_LIMITS). */
  limits?: NetworkLimits;
}

/**
 * A repository to bisect in, seen through its local mirror. User-supplied refs enter through
 * `resolveRef` only; every other method takes full shas.
 */
export class Repository {
  readonly source: string;
  readonly mirrorPath: string;
  readonly worktreesDir: string;
  readonly #git: SimpleGit;
  readonly #limits: NetworkLimits;
  readonly #slots: WorktreeSlots;

  constructor({ source, mirrorPath, worktreesDir, limits }: RepositoryLocation) {
    this.source = source;
    this.mirrorPath = mirrorPath;
    this.worktreesDir = worktreesDir;
    this.#git = gitIn(mirrorPath);
    this.#limits = limits ?? DEFAULT_NETWORK_LIMITS;
    // Per mirror: worktreesDir is shared by every repository of the cache.
    this.#slots = new WorktreeSlots(mirrorPath, slotsDirOf(worktreesDir, mirrorPath));
  }

  /**
   * `git fetch --prune` from the source, serialised with other processes using the mirror,
   * within the network limits (`runNetworkGit`).
   */
  async fetch(): Promise<void> {
    await withFileLock(`${this.mirrorPath}.lock`, async () => {
      await runNetworkGit(['fetch', '--prune', '--quiet', 'origin'], {
        cwd: this.mirrorPath,
        source: this.source,
        limits: this.#limits,
      });
    });
  }

  /**
   * The full sha of the commit `ref` names. On a miss the mirror is fetched once and asked
   * again, so a branch pushed a minute ago still resolves. The ref is one argv entry after
   * `--end-of-options`: `-x`, `--upload-pack=...` or `main; rm -rf /` are just unknown refs.
   */
  async resolveRef(ref: string): Promise<string> {
    const known = await this.#tryResolve(ref);
    if (known !== undefined) return known;
    try {
      await this.fetch();
    } catch (error) {
      throw new UnknownRef(
        ref,
        this.source,
        error instanceof Error ? error.message : String(error),
      );
    }
    const fetched = await this.#tryResolve(ref);
    if (fetched === undefined) throw new UnknownRef(ref, this.source);
    return fetched;
  }

  async #tryResolve(ref: string): Promise<string | undefined> {
    if (ref.length === 0 || ref.includes('\0')) return undefined;
    try {
      const output = await this.#git.raw([
        'rev-parse',
        '--verify',
        '--quiet',
        '--end-of-options',
        `${ref}^{commit}`,
      ]);
      const sha = output.trim();
      return /^[0-9a-f]{40,64}$/.test(sha) ? sha : undefined;
    } catch (error) {
      // simple-git refuses some strings outright (e.g. `--upload-pack=`) without running git:
      // they cannot name a commit either, and the user needs to hear "unknown ref".
      if (error instanceof GitCommandFailed || error instanceof GitPluginError) return undefined;
      throw error;
    }
  }

  /** Whether `ancestor` is reachable from `descendant` (a commit is its own ancestor). */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    assertSha(ancestor, 'ancestor');
    assertSha(descendant, 'descendant');
    try {
      await this.#git.raw(['merge-base', '--is-ancestor', ancestor, descendant]);
      return true;
    } catch (error) {
      if (exitedWith(error, 1)) return false;
      throw error;
    }
  }

  /** `git rev-list --parents [--first-parent] bad ^good...`, see `revListRange`. */
  revListRange(
    bad: string,
    goods: readonly string[],
    options?: RevListOptions,
  ): Promise<CommitNode[]> {
    return revListRange(this.#git, bad, goods, options);
  }

  /**
   * The tree a commit records. Two commits with the same tree build the same kernel, which
   * lets callers skip a rebuild or doubt a culprit that changed nothing.
   */
  async treeId(sha: string): Promise<string> {
    assertSha(sha, 'commit');
    return (await this.#git.raw(['rev-parse', '--verify', `${sha}^{tree}`])).trim();
  }

  async commitInfo(sha: string): Promise<CommitInfo> {
    const [info] = await readCommitInfos(this.#git, [sha]);
    if (!info) throw new Error(`git log did not report commit ${sha}`);
    return info;
  }

  /** Many commits at the cost of two git processes per thousand, in the order given. */
  commitInfos(shas: readonly string[]): Promise<CommitInfo[]> {
    return readCommitInfos(this.#git, shas);
  }

  /**
   * A detached worktree at `sha` for a build, under `baseDir` (default: the cache's
   * worktrees directory). Tracked until removed, see `removeAllWorktrees`.
   */
  addWorktree(sha: string, { baseDir }: { baseDir?: string } = {}): Promise<Worktree> {
    return addWorktree(this.mirrorPath, sha, baseDir ?? this.worktreesDir);
  }

  /**
   * A clean checkout of `sha` in one of the repository's build slots (`WorktreeSlots`: kept
   * between commits, cleaned of every untracked file), or a fresh worktree under `baseDir`
   * when every slot is in use. Its `remove()` gives a slot back rather than deleting it.
   * A service build job names itself as the `holder` (see `WorktreeSlots`).
   */
  buildWorktree(
    sha: string,
    { baseDir, ...hold }: { baseDir?: string } & AcquireOptions = {},
  ): Promise<Worktree> {
    return this.#slots.acquire(sha, baseDir ?? this.worktreesDir, hold);
  }

  /**
   * A worktree at `onto` with `commit` reverted (uncommitted), kept until its `remove()`:
   * the "bad + revert of the culprit is good" check builds and measures it. Check `clean`.
   */
  async revertWorktree(
    onto: string,
    commit: string,
    { baseDir }: { baseDir?: string } = {},
  ): Promise<RevertWorktree> {
    const { parents } = await this.commitInfo(commit);
    const worktree = await this.addWorktree(onto, baseDir === undefined ? {} : { baseDir });
    return applyRevert(worktree, commit, parents.length);
  }

  /** Runs `fn` on a revert worktree and removes the worktree afterwards, whatever happens. */
  async withRevertWorktree<T>(
    onto: string,
    commit: string,
    fn: (worktree: RevertWorktree) => Promise<T> | T,
  ): Promise<T> {
    const worktree = await this.revertWorktree(onto, commit);
    try {
      return await fn(worktree);
    } finally {
      await worktree.remove();
    }
  }

  /**
   * `commit` reverted on top of `onto`, recorded as a commit of its own in the mirror (not on
   * any branch), so a builder that takes a sha (the kernel builder: checkout, tree id, release
   * name) builds the revert like any other commit. The commit is deterministic: identity and
   * dates are fixed and taken from `onto`, so the same revert is the same sha on every host
   * and every retry, and its kernel is built once. `clean: false` lists the conflicts.
   */
  async revertCommit(
    onto: string,
    commit: string,
    { baseDir }: { baseDir?: string } = {},
  ): Promise<RevertCommit> {
    const info = await this.commitInfo(commit);
    const worktree = await this.revertWorktree(
      onto,
      commit,
      baseDir === undefined ? {} : { baseDir },
    );
    try {
      if (!worktree.clean) return { clean: false, conflicts: worktree.conflicts };
      const git = gitIn(worktree.path);
      const tree = (await git.raw(['write-tree'])).trim();
      const date = (await git.raw(['show', '-s', '--format=%cI', onto])).trim();
      const message = `Revert "${info.subject}"\n\nThis reverts commit ${commit} on top of ${onto}: kbisect's confirmation that the culprit causes the regression.\n`;
      // Spawned directly: simple-git refuses an env that carries EDITOR and the like.
      const { stdout } = await execFileAsync(
        'git',
        ['-C', worktree.path, 'commit-tree', tree, '-p', onto, '-m', message],
        {
          env: gitEnv({
            GIT_AUTHOR_NAME: 'kbisect',
            GIT_AUTHOR_EMAIL: 'kbisect@localhost',
            GIT_COMMITTER_NAME: 'kbisect',
            GIT_COMMITTER_EMAIL: 'kbisect@localhost',
            GIT_AUTHOR_DATE: date,
            GIT_COMMITTER_DATE: date,
          }),
        },
      );
      const sha = stdout.trim();
      assertSha(sha, 'revert commit');
      // A ref keeps the commit reachable until the mirror's next `fetch --prune`; after that,
      // gc keeps unreachable objects for two weeks, and the same revert is the same sha anyway.
      await this.#git.raw(['update-ref', `refs/kbisect/reverts/${sha}`, sha]);
      return { clean: true, sha, tree };
    } finally {
      await worktree.remove();
    }
  }

  /** Whether `git revert commit` applies without conflicts on top of `onto`. */
  canRevertCleanly(onto: string, commit: string): Promise<boolean> {
    return this.withRevertWorktree(onto, commit, (worktree) => worktree.clean);
  }
}
