import { median } from './descriptive.js';

/**
 * Hodges-Lehmann shift: the median of all pairwise differences x − y. Robust like a median,
 * but uses every pair, so it is steadier than the difference of two medians at n = 3..10.
 */
export function hodgesLehmannShift(x: readonly number[], y: readonly number[]): number {
  const diffs: number[] = [];
  for (const a of x) for (const b of y) diffs.push(a - b);
  return median(diffs);
}

/**
 * Hodges-Lehmann ratio: the median of all pairwise ratios x / y, the multiplicative
 * counterpart for positive metrics such as throughput (0.08 reads "−92%"). NaN when a
 * value is not positive, where a ratio means nothing.
 */
export function hodgesLehmannRatio(x: readonly number[], y: readonly number[]): number {
  if ([...x, ...y].some((v) => !(v > 0))) return Number.NaN;
  const ratios: number[] = [];
  for (const a of x) for (const b of y) ratios.push(a / b);
  return median(ratios);
}

/** Relative change of `to` against `from`: 0.7 against 9.1 is −0.92. */
export function relativeChange(from: number, to: number): number {
  if (from === 0) return to === 0 ? 0 : Math.sign(to) * Number.POSITIVE_INFINITY;
  return to / from - 1;
}
