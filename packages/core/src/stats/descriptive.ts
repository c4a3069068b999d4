import { HANG_SENTINEL } from './format.js';

/**
 * Order statistics. Values may include ±Infinity or the hang sentinel: an order statistic
 * only moves by one position per hung run, so a minority of hangs does not poison it.
 */

const ascending = (a: number, b: number) => (a < b ? -1 : a > b ? 1 : 0);

export function sorted(values: readonly number[]): number[] {
  return [...values].sort(ascending);
}

/**
 * Quantile by linear interpolation between order statistics (the "type 7" rule of R and
 * NumPy's default), so results match what people get from their own tools.
 */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const s = sorted(values);
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  const a = s[lo] as number;
  const b = s[hi] as number;
  // Interpolating towards a sentinel would print a meaningless huge number.
  if (lo === hi || a === b || isExtreme(a) || isExtreme(b)) return h - lo < 0.5 ? a : b;
  return a + (b - a) * (h - lo);
}

const isExtreme = (x: number) => !Number.isFinite(x) || Math.abs(x) === HANG_SENTINEL;

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Makes the MAD estimate σ when the noise is normal. */
const MAD_TO_SIGMA = 1.482602218505602;

/**
 * Robust standard deviation: median absolute deviation × 1.4826. Deviations of infinite
 * values are infinite and rank last, so hangs count as far-away points, not as NaN.
 */
export function madSigma(values: readonly number[]): number {
  const m = median(values);
  if (isExtreme(m)) return Number.NaN;
  return MAD_TO_SIGMA * median(values.map((x) => Math.abs(x - m)));
}

/** Interquartile range: the middle half of the samples. */
export function iqr(values: readonly number[]): number {
  return quantile(values, 0.75) - quantile(values, 0.25);
}
