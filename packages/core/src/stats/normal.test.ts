import { describe, expect, it } from 'vitest';
import { erfc, normalSf } from './normal.js';

describe('erfc', () => {
  // Reference values: Abramowitz & Stegun table 7.1 / any arbitrary-precision erfc.
  it.each([
    [0, 1],
    [0.5, 0.4795001221869535],
    [1, 0.15729920705028513],
    [2, 0.004677734981047266],
    [2.5, 0.000406952017444959],
    [3, 2.209049699858544e-5],
    [5, 1.5374597944280349e-12],
    [10, 2.088487583762545e-45],
  ])('erfc(%d) matches the tabulated value to 1e-13 relative', (x, expected) => {
    expect(Math.abs(erfc(x) - expected) / expected).toBeLessThan(1e-13);
  });

  it('is continuous where the series hands over to the continued fraction', () => {
    const below = erfc(2.5 - 1e-12);
    const above = erfc(2.5 + 1e-12);
    expect(Math.abs(below - above) / above).toBeLessThan(1e-10);
  });

  it('is 0 at +Infinity and 2 at -Infinity (baselines a hang apart are infinitely far)', () => {
    expect(erfc(Number.POSITIVE_INFINITY)).toBe(0);
    expect(erfc(Number.NEGATIVE_INFINITY)).toBe(2);
    expect(normalSf(Number.POSITIVE_INFINITY)).toBe(0);
  });

  it('satisfies erfc(-x) = 2 - erfc(x)', () => {
    expect(erfc(-1)).toBeCloseTo(2 - 0.15729920705028513, 15);
  });
});

describe('normalSf', () => {
  it('gives the familiar critical values', () => {
    expect(normalSf(1.959963984540054)).toBeCloseTo(0.025, 14);
    expect(normalSf(3.090232306167813)).toBeCloseTo(0.001, 14);
    expect(normalSf(0)).toBe(0.5);
  });
});
