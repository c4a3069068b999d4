import { describe, expect, it } from 'vitest';
import { regressionSinceLastGood, type TipRegressionRule } from './regression-since-last-good.js';

const higher: TipRegressionRule = {
  kind: 'median-drop',
  direction: 'higher-is-better',
  maxDropPercent: 10,
  alpha: 0.05,
};
const lower: TipRegressionRule = { ...higher, direction: 'lower-is-better' };
const exitCodes: TipRegressionRule = { kind: 'exit-codes' };

describe('regressionSinceLastGood, the rule that decides whether a watched tip regressed', () => {
  it('calls a clear drop beyond the limit a regression, with its figures', () => {
    const verdict = regressionSinceLastGood([100, 101, 99, 100, 102], [80, 81, 79, 80, 82], higher);
    expect(verdict.regression).toBe(true);
    expect(verdict.changePercent).toBeCloseTo(-20, 5);
    expect(verdict.pValue).toBeLessThan(0.05);
    expect(verdict.summary).toMatch(
      /^median 100 → 80 \(-20\.0%, worse by 20\.0% against a limit of 10%\)/,
    );
  });

  it('does not call a drop within the limit, or an improvement, a regression', () => {
    expect(
      regressionSinceLastGood([100, 100, 100, 100, 100], [95, 95, 95, 95, 95], higher).regression,
    ).toBe(false);
    expect(
      regressionSinceLastGood([100, 100, 100, 100, 100], [150, 150, 150, 150, 150], higher)
        .regression,
    ).toBe(false);
  });

  it('reads the direction: a latency that grew is worse', () => {
    const verdict = regressionSinceLastGood([10, 10, 11, 10, 10], [20, 21, 20, 20, 22], lower);
    expect(verdict.regression).toBe(true);
    expect(verdict.changePercent).toBeCloseTo(100, 5);
  });

  it('needs the rank test too: overlapping samples with a lower median are not enough', () => {
    const verdict = regressionSinceLastGood([100, 60, 100, 60, 100], [60, 100, 60, 85, 60], higher);
    expect(verdict.changePercent).toBeCloseTo(-40, 5);
    expect(verdict.regression).toBe(false);
  });

  it('needs the limit too: a significant shift smaller than it is tolerated', () => {
    const verdict = regressionSinceLastGood(
      [100, 100, 101, 100, 100],
      [95, 95, 96, 95, 95],
      higher,
    );
    expect(verdict.pValue).toBeLessThan(0.05);
    expect(verdict.regression).toBe(false);
  });

  it('sees a regression from a zero median: stalled time that appears on a stall-free tip', () => {
    const stalls = regressionSinceLastGood(
      [0, 0, 0, 0, 0, 0],
      [850, 860, 845, 870, 855, 862],
      lower,
    );
    expect(stalls.regression).toBe(true);
    expect(stalls.changePercent).toBe(Number.POSITIVE_INFINITY);
    expect(stalls.summary).toMatch(/^median 0 → 857.5 \(\+∞ from 0, worse by \+∞ from 0/);
    const still = regressionSinceLastGood([0, 0, 0], [0, 0, 0], lower);
    expect(still.regression).toBe(false);
    expect(still.changePercent).toBe(0);
  });

  it('with exit codes, a tip that fails is a regression and a skip is not', () => {
    expect(regressionSinceLastGood([0, 0], [0, 1], exitCodes).regression).toBe(true);
    expect(regressionSinceLastGood([0, 0], [0, 125], exitCodes)).toEqual({
      regression: false,
      summary: 'the oracle passes on the tip',
    });
  });
});
