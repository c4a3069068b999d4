import { describe, expect, it } from 'vitest';
import { hodgesLehmannRatio, hodgesLehmannShift, relativeChange } from './effect.js';

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
});
