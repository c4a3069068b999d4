import { type Candidates, findCandidates } from './candidates.js';
import { ancestors, type CommitGraph, commitGraph } from './graph.js';
import type { Journal } from './journal.js';
import { type Marks, readMarks } from './marks.js';
import type { BisectRange } from './range.js';
import type { BisectResult } from './result.js';
import { bisectionWeights } from './weights.js';

/** Where a bisect stands: everything derived from (range, journal), nothing else. */
export interface BisectState {
  readonly graph: CommitGraph;
  readonly marks: Marks;
  /** Set when the endpoints' verdicts, or verdicts that contradict each other, end it. */
  readonly settled: BisectResult | undefined;
  readonly candidates: Candidates;
  /** By position in `candidates.order`. */
  readonly weights: Int32Array;
}

export function bisectState(range: BisectRange, journal: Journal): BisectState {
  const graph = commitGraph(range);
  const marks = readMarks(graph, journal);
  const knownGood = ancestors(graph, marks.goods);
  const firstParent = range.firstParent === true;
  const candidates = findCandidates(graph, marks.currentBad, knownGood, firstParent);
  return {
    graph,
    marks,
    settled: settledByVerdicts(range, graph, marks, knownGood),
    candidates,
    weights: bisectionWeights(graph, candidates, firstParent),
  };
}

/**
 * The endpoints are judged first, as a person would before trusting a bisect: a bad end that
 * measures good or a good end that measures bad means the range holds no regression. A good
 * endpoint that could not be tested is assumed good, as `git bisect` never tests it.
 */
function settledByVerdicts(
  range: BisectRange,
  graph: CommitGraph,
  marks: Marks,
  knownGood: Uint8Array,
): BisectResult | undefined {
  if (marks.badEndpoint === 'good') return { kind: 'bad-is-good', commit: range.bad };
  const goodIsBad = range.goods.find((good) => marks.goodEndpoints.get(good) === 'bad');
  if (goodIsBad !== undefined) return { kind: 'good-is-bad', commit: goodIsBad };
  if (marks.badEndpoint === 'skip' && marks.currentBad === graph.bad) {
    return {
      kind: 'inconclusive',
      candidates: [],
      reason: `the bad commit ${range.bad} could not be tested (skipped), so the regression is not confirmed`,
    };
  }
  if (knownGood[marks.currentBad]) {
    const bad = graph.shas[marks.currentBad] as string;
    const good = marks.goods.find((g) => ancestors(graph, [g])[marks.currentBad]);
    return {
      kind: 'inconclusive',
      candidates: [],
      reason:
        `contradictory verdicts: ${bad} is bad but it is an ancestor of ` +
        `${graph.shas[good as number]}, which is good`,
    };
  }
  return undefined;
}
