import { bisectState } from './bisect-state.js';
import { chooseBisection } from './bisection.js';
import { untestedEndpoints } from './endpoints.js';
import type { Journal } from './journal.js';
import type { BisectRange } from './range.js';
import type { NextStep } from './result.js';
import { estimateBisectSteps, estimateTests } from './steps.js';

export interface NextStepOptions {
  /**
   * Test the bad commit, then each good one, before bisecting (default true). With false,
   * the endpoints are trusted as `git bisect` trusts them.
   */
  checkEndpoints?: boolean;
}

/** Reason of the inconclusive result git calls "only 'skip'ped commits left to test". */
export const ONLY_SKIPPED_LEFT = 'only skipped commits left';

/**
 * The next commit to test, or how the bisect ended: a pure function of the range and the
 * journal, so the same journal always gives the same answer. The commit chosen is the one
 * `git bisect` would choose (the best split of the candidates, `skip_away` around skipped
 * commits). Throws `InvalidRange` or `InvalidJournal` when the input cannot be bisected.
 */
export function nextStep(
  range: BisectRange,
  journal: Journal,
  options: NextStepOptions = {},
): NextStep {
  const state = bisectState(range, journal);
  if (state.settled) return { kind: 'done', result: state.settled };
  const { graph, marks, candidates } = state;
  const remaining = candidates.order.length;

  if (options.checkEndpoints ?? true) {
    const [endpoint, ...after] = untestedEndpoints(range, state);
    if (endpoint !== undefined) {
      const stepsLeft = after.length + estimateTests(remaining);
      return { kind: 'test', commit: endpoint, phase: 'endpoint', remaining, stepsLeft };
    }
  }

  const bisection = chooseBisection(graph, candidates, state.weights, marks.skipped);
  const currentBad = graph.shas[marks.currentBad] as string;
  switch (bisection.kind) {
    case 'test':
      return {
        kind: 'test',
        commit: graph.shas[bisection.commit] as string,
        phase: 'bisect',
        remaining,
        stepsLeft: estimateBisectSteps(remaining),
      };
    case 'found':
      return { kind: 'done', result: { kind: 'found', culprit: currentBad } };
    case 'only-skipped':
      return {
        kind: 'done',
        result: {
          kind: 'inconclusive',
          candidates: [currentBad, ...bisection.skipped.map((c) => graph.shas[c] as string)],
          reason: ONLY_SKIPPED_LEFT,
        },
      };
  }
}
