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

/** A Hodges-Lehmann shift with its distribution-free confidence interval. */
export interface ShiftInterval {
  /** The median of all pairwise differences x − y. */
  shift: number;
  low: number;
  high: number;
  /** The coverage asked for, e.g. 0.95. */
  confidence: number;
}

/**
 * The Hodges-Lehmann shift of x against y with the interval that inverts the Mann-Whitney
 * test (Lehmann 1975; R's wilcox.test(conf.int = TRUE) without ties): of the m·n sorted pairwise
 * differences, the k-th from each end, where k − 1 is the largest count of U that the test
 * at 1 − confidence (two-sided) would still reject. Exact for up to 2500 pairs, the normal
 * approximation beyond. Undefined when the samples are too few for any interval at that
 * coverage (3 against 3 cannot reach 95%), so a report says so instead of a fake range.
 */
export function hodgesLehmannInterval(
  x: readonly number[],
  y: readonly number[],
  confidence = 0.95,
): ShiftInterval | undefined {
  const diffs: number[] = [];
  for (const a of x) for (const b of y) diffs.push(a - b);
  return pairwiseInterval(diffs, x.length, y.length, confidence);
}

/**
 * The multiplicative counterpart for positive metrics (throughput, rates): the median of the
 * pairwise ratios x / y with the interval of the same ranks, which is the shift interval of
 * the logarithms. A ratio cannot fall below 0, so "-92% (95% interval -95% to -88%)" stays a
 * reading a person can check, where a shift interval of noisy rates can pass −100%. Undefined
 * when a value is not positive.
 */
export function hodgesLehmannRatioInterval(
  x: readonly number[],
  y: readonly number[],
  confidence = 0.95,
): ShiftInterval | undefined {
  if ([...x, ...y].some((v) => !(v > 0))) return undefined;
  const ratios: number[] = [];
  for (const a of x) for (const b of y) ratios.push(a / b);
  return pairwiseInterval(ratios, x.length, y.length, confidence);
}

function pairwiseInterval(
  pairwise: number[],
  m: number,
  n: number,
  confidence: number,
): ShiftInterval | undefined {
  if (m === 0 || n === 0) return undefined;
  pairwise.sort((a, b) => a - b);
  const k = criticalCount(m, n, (1 - confidence) / 2);
  if (k < 1) return undefined;
  return {
    shift: median(pairwise),
    low: pairwise[k - 1] as number,
    high: pairwise[m * n - k] as number,
    confidence,
  };
}

/** The largest k with P(U ≤ k − 1) ≤ tail under the null hypothesis; 0 when none. */
function criticalCount(m: number, n: number, tail: number): number {
  const pairs = m * n;
  if (pairs > 2500) {
    // Normal approximation of U: mean mn/2, variance mn(m+n+1)/12, continuity-corrected.
    const z = normalQuantile(1 - tail);
    return Math.max(0, Math.floor(pairs / 2 - z * Math.sqrt((pairs * (m + n + 1)) / 12) + 0.5));
  }
  const counts = uDistribution(m, n);
  const total = counts.reduce((a, b) => a + b, 0);
  let below = 0;
  let k = 0;
  for (let u = 0; u < counts.length; u++) {
    below += counts[u] as number;
    if (below / total > tail) break;
    k = u + 1;
  }
  return k;
}

/**
 * Counts of U = 0..mn over all C(m+n, m) orderings: the Gaussian binomial coefficient's
 * coefficients, c(i, j)[u] = c(i − 1, j)[u − j] + c(i, j − 1)[u].
 */
function uDistribution(m: number, n: number): Float64Array {
  let prev: Float64Array[] = Array.from({ length: n + 1 }, () => Float64Array.of(1));
  for (let i = 1; i <= m; i++) {
    const row: Float64Array[] = [Float64Array.of(1)];
    for (let j = 1; j <= n; j++) {
      const c = new Float64Array(i * j + 1);
      const left = row[j - 1] as Float64Array;
      const up = prev[j] as Float64Array;
      for (let u = 0; u < left.length; u++) c[u] = left[u] as number;
      for (let u = 0; u < up.length; u++) c[u + j] = (c[u + j] as number) + (up[u] as number);
      row.push(c);
    }
    prev = row;
  }
  return prev[n] as Float64Array;
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, 1e-9 relative). */
function normalQuantile(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972,
    -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734,
    4.374664141464968, 2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const poly = (k: number[], t: number) => k.reduce((acc, v) => acc * t + v, 0);
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return poly(c, q) / (poly(d, q) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (poly(a, r) * q) / (poly(b, r) * r + 1);
}
