import { ancestors, type CommitGraph } from './graph.js';

/**
 * The commits that may still be the first bad one: ancestors of the current bad commit
 * (itself included) that are not ancestors of a good commit, as `git rev-list <bad>
 * ^<good>...` lists them. Skipped commits stay in: git counts them when it splits the range.
 */
export interface Candidates {
  /** Parents before children, so the current bad commit comes last. */
  readonly order: Int32Array;
  /** Position of each commit of the graph in `order`, -1 when it is not a candidate. */
  readonly position: Int32Array;
}

/**
 * With `firstParent`, only the first-parent chain from the current bad commit down to the
 * first ancestor of a good one, like `git rev-list --first-parent`.
 */
export function findCandidates(
  graph: CommitGraph,
  currentBad: number,
  knownGood: Uint8Array,
  firstParent: boolean,
): Candidates {
  const members: number[] = [];
  if (firstParent) {
    for (let c = currentBad; c !== -1 && !knownGood[c]; c = graph.firstParent[c] as number) {
      members.push(c);
    }
    members.reverse();
  } else {
    const reached = ancestors(graph, [currentBad], knownGood);
    for (const c of graph.topoOrder) if (reached[c]) members.push(c);
  }
  const order = Int32Array.from(members);
  const position = new Int32Array(graph.shas.length).fill(-1);
  for (const [i, c] of order.entries()) position[c] = i;
  return { order, position };
}
