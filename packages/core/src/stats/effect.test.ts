import { describe, expect, it } from 'vitest';
import {
  hodgesLehmannInterval,
  hodgesLehmannRatio,
  hodgesLehmannRatioInterval,
  hodgesLehmannShift,
  relativeChange,
} from './effect.js';

describe('effect sizes', () => {
  it('estimates a shift by the median of pairwise differences', () => {
    // Differences: 1-0, 2-0, 3-0, 1-10, 2-10, 3-10 → median of [-9,-8,-7,1,2,3] = -3.
    expect(hodgesLehmannShift([1, 2, 3], [0, 10])).toBe(-3);
    expect(hodgesLehmannShift([10, 11, 12], [1, 2, 3])).toBe(9);
  });

  it('estimates a ratio by the median of pairwise ratios, and refuses non-positive values', () => {
    expect(hodgesLehmannRatio([0.7, 0.7, 0.7], [9.1, 9.1])).toBeCloseTo(0.7 / 9.1, 12);
    expect(hodgesLehmannRatio([0, 1], [1])).toBeNaN();
  });

  it('gives relative changes the way a report reads them', () => {
    expect(relativeChange(9.1, 0.7)).toBeCloseTo(-0.923, 3);
    expect(relativeChange(10, 15)).toBeCloseTo(0.5, 12);
    expect(relativeChange(0, 0)).toBe(0);
    expect(relativeChange(0, 1)).toBe(Number.POSITIVE_INFINITY);
  });

  it('gives the Hodges-Lehmann shift its distribution-free interval, as R wilcox.test does', () => {
    const y = Array.from({ length: 10 }, (_, i) => i + 1);
    const x = y.map((v) => v + 10);
    // 10 against 10 at 95%: U <= 23 rejects (the table's critical value), so the interval
    // runs from the 24th to the 77th of the 100 sorted differences: 7 and 13.
    expect(hodgesLehmannInterval(x, y)).toEqual({ shift: 10, low: 7, high: 13, confidence: 0.95 });
    const wider = hodgesLehmannInterval(x, y, 0.99);
    expect(wider?.low).toBeLessThan(7);
    expect(wider?.high).toBeGreaterThan(13);
  });

  it('gives no interval when the samples are too few to reach the coverage', () => {
    // 3 against 3: the most extreme ordering has p = 1/20 = 0.05 > 0.025 per side.
    expect(hodgesLehmannInterval([4, 5, 6], [1, 2, 3])).toBeUndefined();
    expect(hodgesLehmannInterval([4, 5, 6, 7], [1, 2, 3, 4])).toBeDefined();
    expect(hodgesLehmannInterval([], [1])).toBeUndefined();
  });

  it('uses the normal approximation for large samples and agrees with the exact count', () => {
    const y = Array.from({ length: 60 }, (_, i) => i);
    const x = y.map((v) => v + 100);
    const large = hodgesLehmannInterval(x, y);
    expect(large?.shift).toBe(100);
    expect(large?.low).toBeLessThan(100);
    expect(large?.high).toBeGreaterThan(100);
    expect((large?.high ?? 0) - 100).toBeCloseTo(100 - (large?.low ?? 0), 6);
  });

  it('gives positive metrics a ratio with the interval of the same ranks, never below -100%', () => {
    const parent = [800, 900, 1000, 1100, 1200, 500];
    const culprit = [90, 100, 110, 120, 60, 200];
    const ratio = hodgesLehmannRatioInterval(culprit, parent);
    expect(ratio?.shift).toBeCloseTo(0.1, 1);
    expect(ratio?.low).toBeGreaterThan(0);
    expect(ratio?.high).toBeLessThan(1);
    expect(hodgesLehmannRatioInterval([0, 1, 2, 3], [1, 2, 3, 4])).toBeUndefined();
  });
});
