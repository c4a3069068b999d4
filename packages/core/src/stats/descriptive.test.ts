import { describe, expect, it } from 'vitest';
import { iqr, madSigma, median, quantile } from './descriptive.js';
import { HANG_SENTINEL } from './format.js';

describe('order statistics', () => {
  it('takes the middle value, or the mean of the two middle values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('interpolates quantiles as NumPy does by default (np.percentile([1,2,3,4], 25) = 1.75)', () => {
    expect(quantile([1, 2, 3, 4], 0.25)).toBe(1.75);
    expect(iqr([1, 2, 3, 4])).toBe(1.5);
  });

  it('scales the MAD to estimate sigma: [1,2,3,4,100] has MAD 1', () => {
    expect(madSigma([1, 2, 3, 4, 100])).toBeCloseTo(1.4826, 4);
  });

  it('lets a minority of hung runs move the median by one position only', () => {
    expect(median([9.1, 9.3, HANG_SENTINEL])).toBe(9.3);
    expect(madSigma([9, 10, 11, HANG_SENTINEL, 10])).toBeCloseTo(1.4826, 4);
  });

  it('reports a median that falls between a value and a hang as the hang, not a huge number', () => {
    expect(median([5, HANG_SENTINEL])).toBe(HANG_SENTINEL);
    expect(median([5, 6, HANG_SENTINEL, HANG_SENTINEL])).toBe(HANG_SENTINEL);
  });

  it('has no median for no values', () => {
    expect(median([])).toBeNaN();
  });
});
