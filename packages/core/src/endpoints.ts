import type { BisectState } from './bisect-state.js';
import type { BisectRange } from './range.js';

/**
 * The given endpoints still to be confirmed, in the order to test them: the bad commit (while
 * nothing below it is known bad), then each good one. Confirming them first keeps a bisect
 * from running for hours on a range that never held the regression.
 */
export function untestedEndpoints(range: BisectRange, state: BisectState): string[] {
  const { graph, marks } = state;
  const untested: string[] = [];
  if (marks.badEndpoint === undefined && marks.currentBad === graph.bad) untested.push(range.bad);
  for (const good of new Set(range.goods)) {
    if (!marks.goodEndpoints.has(good)) untested.push(good);
  }
  return untested;
}
