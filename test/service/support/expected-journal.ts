import { execFileSync } from 'node:child_process';
import { type BisectEnvironment, exitCodePolicy, runBisect } from '@kbisect/core';
import { openRepository, resolveRange } from '@kbisect/git';
import type { LoopbackProject } from '../../fixtures/loopback-project.js';

/** A history to bisect and the truth about each commit, as a test knows it. */
export interface KnownHistory {
  dir: string;
  good: string;
  bad: string;
  /** Commits that do not compile: their verdict is skip. */
  unbuildable: readonly string[];
  /** The exit-code oracle's answer for a commit that builds. */
  isGood(commit: string): boolean;
}

/**
 * The verdicts a bisect of `history` must record, from the core itself on the real range:
 * unbuildable commits fail to build, the others are good or bad as `isGood` says. A service
 * run, killed or not, on any labs, must record exactly these, in this order.
 */
export async function expectedJournalOf(
  history: KnownHistory,
  cacheDir: string,
  /** Commits tested at once (`parallelTests`): each entry then also says its round. */
  slots?: number,
): Promise<string[]> {
  const repository = await openRepository({ source: history.dir, cacheDir });
  const range = await resolveRange(repository, { good: [history.good], bad: history.bad });
  const env: BisectEnvironment = {
    prepare: async (commit) => ({
      commit,
      build: { ok: !history.unbuildable.includes(commit), seconds: 0 },
    }),
    measure: async ({ commit }) => ({ exitCode: history.isGood(commit) ? 0 : 1, seconds: 0 }),
    release: async () => {},
    ...(slots ? { testSlots: () => slots } : {}),
  };
  const outcome = await runBisect({ range, env, policy: exitCodePolicy(), checkEndpoints: true });
  return outcome.journal.map((e) =>
    slots ? `${e.commit} ${e.verdict} round ${e.round ?? '-'}` : `${e.commit} ${e.verdict}`,
  );
}

/**
 * The journal of the loopback fixture: a commit is good when its main.c still has the 64 KiB
 * records (the RECORD_ORACLE's question, read with `git show`).
 */
export function expectedJournal(
  project: LoopbackProject,
  cacheDir: string,
  slots?: number,
): Promise<string[]> {
  const isGood = (commit: string) =>
    execFileSync('git', ['show', `${commit}:main.c`], {
      cwd: project.dir,
      encoding: 'utf8',
    }).includes('RECORD_SIZE 65536');
  return expectedJournalOf(
    { dir: project.dir, good: 'v1.0', bad: 'main', unbuildable: project.unbuildable, isGood },
    cacheDir,
    slots,
  );
}
