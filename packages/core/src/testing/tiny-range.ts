import type { JournalEntry } from '../journal.js';
import type { BisectRange } from '../range.js';
import type { Verdict } from '../verdict.js';

/**
 * Test support: a range written as `git rev-list --parents` lines, newest first, with names
 * for shas:
 *
 *     tinyRange(`
 *       m c s
 *       s a
 *       c b
 *       b a
 *       a g
 *     `, { bad: 'm', goods: ['g'] })
 */
export function tinyRange(
  lines: string,
  ends: { bad: string; goods: string[]; firstParent?: boolean },
): BisectRange {
  const commits = lines
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((line) => {
      const [sha = '', ...parents] = line.split(/\s+/);
      return { sha, parents };
    });
  return { ...ends, commits };
}

/** Journal entries from `sha:verdict` words, e.g. `marks('c:bad b:good')`. */
export function marks(words: string): JournalEntry[] {
  return words
    .split(/\s+/)
    .filter((word) => word.length > 0)
    .map((word) => {
      const [commit = '', verdict = ''] = word.split(':');
      return { commit, verdict: verdict as Verdict, source: 'manual' };
    });
}

/** A line of `n` commits c1..cn on top of the good commit c0. */
export function linearRange(n: number): BisectRange {
  const name = (i: number) => `c${String(i).padStart(4, '0')}`;
  const commits = Array.from({ length: n }, (_, k) => {
    const i = n - k;
    return { sha: name(i), parents: [name(i - 1)] };
  });
  return { bad: name(n), goods: [name(0)], commits };
}
