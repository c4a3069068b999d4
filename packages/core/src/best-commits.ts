import { bisectState } from './bisect-state.js';
import { untestedEndpoints } from './endpoints.js';
import type { Journal } from './journal.js';
import type { NextStepOptions } from './next-step.js';
import type { BisectRange } from './range.js';

/**
 * Up to `k` commits to test at once on `k` labs, splitting the candidates into about k + 1
 * equal parts, so a round of k tests leaves about N / (k + 1) candidates and a bisect takes
 * about log_(k+1) N rounds. The j-th commit is the one whose weight (its candidate
 * ancestors) is nearest to j·N/(k + 1); skipped commits and the current bad one are never
 * chosen. Untested endpoints (with `checkEndpoints`, the default) come first. Empty when
 * the bisect is over or nothing is left to test.
 *
 * For k = 1 this is `nextStep`'s commit unless the best split was skipped: `nextStep` then
 * jumps away like git, this takes the nearest split that was not skipped.
 */
export function bestCommits(
  range: BisectRange,
  journal: Journal,
  k: number,
  options: NextStepOptions = {},
): string[] {
  if (!Number.isInteger(k) || k < 0) {
    throw new RangeError(`bestCommits needs a whole number of commits, got ${k}`);
  }
  const state = bisectState(range, journal);
  if (state.settled) return [];
  const picks = (options.checkEndpoints ?? true) ? untestedEndpoints(range, state).slice(0, k) : [];
  const { graph, candidates, weights, marks } = state;
  const { order } = candidates;
  const n = order.length;
  const sha = (pos: number) => graph.shas[order[pos] as number] as string;
  const free = new Set<number>();
  for (let pos = 0; pos < n - 1; pos++) if (!marks.skipped[order[pos] as number]) free.add(pos);

  const slots = Math.min(k - picks.length, free.size);
  const chosen: number[] = [];
  for (let j = 1; j <= slots; j++) {
    const target = (j * n) / (slots + 1);
    let best = -1;
    for (const pos of free) {
      const gap = Math.abs((weights[pos] as number) - target);
      const bestGap =
        best === -1 ? Number.POSITIVE_INFINITY : Math.abs((weights[best] as number) - target);
      if (gap < bestGap || (gap === bestGap && sha(pos) < sha(best))) best = pos;
    }
    free.delete(best);
    chosen.push(best);
  }
  return [...picks, ...chosen.map(sha)];
}
