import type { Candidates } from './candidates.js';
import type { CommitGraph } from './graph.js';
import { skipAway } from './skip-away.js';

/** What git's `find_bisection` plus `managed_skipped` conclude (commits as graph indices). */
export type Bisection =
  | { kind: 'test'; commit: number }
  /** The current bad commit is the only candidate: it is the first bad commit. */
  | { kind: 'found' }
  /** Every candidate but the current bad commit was skipped; in range order. */
  | { kind: 'only-skipped'; skipped: number[] };

/**
 * Positions in `candidates.order`, best split first: by min(w, N - w) descending, then by
 * sha, which is the order of `git rev-list --bisect-all`.
 */
export function rankByDistance(
  graph: CommitGraph,
  candidates: Candidates,
  weights: Int32Array,
): number[] {
  const n = weights.length;
  const distance = weights.map((w) => Math.min(w, n - w));
  const sha = (pos: number) => graph.shas[candidates.order[pos] as number] as string;
  return Array.from({ length: n }, (_, pos) => pos).sort((a, b) => {
    const byDistance = (distance[b] as number) - (distance[a] as number);
    if (byDistance !== 0) return byDistance;
    return sha(a) < sha(b) ? -1 : sha(a) > sha(b) ? 1 : 0;
  });
}

/**
 * The commit git would test next. Git takes the first commit of the `--bisect-all` order
 * unless it was skipped; then it picks among the others with `skip_away`. When no other
 * commit than the bad one is left to test, the answer is found, or only skipped commits left.
 */
export function chooseBisection(
  graph: CommitGraph,
  candidates: Candidates,
  weights: Int32Array,
  skipped: Uint8Array,
): Bisection {
  const { order } = candidates;
  const n = order.length;
  if (n <= 1) return { kind: 'found' };
  const isSkipped = (pos: number) => skipped[order[pos] as number] === 1;
  const ranked = rankByDistance(graph, candidates, weights);
  const best = ranked[0] as number;
  if (!isSkipped(best)) return { kind: 'test', commit: order[best] as number };

  const badPos = n - 1;
  const pick = skipAway(
    ranked.filter((pos) => !isSkipped(pos)),
    badPos,
  ) as number;
  if (pick !== badPos) return { kind: 'test', commit: order[pick] as number };
  const left: number[] = [];
  for (const c of order) if (skipped[c]) left.push(c);
  return { kind: 'only-skipped', skipped: left.sort((a, b) => a - b) };
}
