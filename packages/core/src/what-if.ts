import type { Journal } from './journal.js';
import { type NextStepOptions, nextStep } from './next-step.js';
import type { BisectRange } from './range.js';
import type { NextStep } from './result.js';
import type { Verdict } from './verdict.js';

/** The step after `commit`, for each verdict it may get. */
export interface WhatIf {
  ifGood: NextStep;
  ifBad: NextStep;
}

/**
 * What comes next once `commit` has its verdict: lets the builders start on both possible
 * next commits while a lab still tests `commit` (speculative builds), so a step costs
 * max(build, test) instead of build + test.
 */
export function whatIf(
  range: BisectRange,
  journal: Journal,
  commit: string,
  options: NextStepOptions = {},
): WhatIf {
  const after = (verdict: Verdict) =>
    nextStep(range, [...journal, { commit, verdict, source: 'oracle' }], options);
  return { ifGood: after('good'), ifBad: after('bad') };
}
