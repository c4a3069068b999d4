import { normalSf } from './normal.js';

/**
 * How far past their configured caps a bisect of near baselines may go: the calibration up
 * to 4x its runs per endpoint, each commit up to 4x `maxSamples`. Baselines 0.74 spreads
 * apart are the nearest whose commits the rank test can still classify (`RANK_TEST_POWER`,
 * alpha 0.001, the 15% margin) within 4 x 40 commit runs against 4 x 40 baseline runs; the
 * calibration's default separation floor (`CALIBRATION_DEFAULTS.minSeparation`, 0.70) is the
 * separation of such baselines, so nearer ones are refused rather than measured for nothing.
 */
export const NEAR_BASELINES_RUNS_FACTOR = 4;

/**
 * The chance a commit at a baseline level should have of being classified before its cap
 * (0.99): a bisect makes 10-14 decisions in a row, and a commit next to the culprit that ends
 * unclear leaves the result ambiguous, so one such commit in 100 is the most a bisect can
 * afford.
 */
export const RANK_TEST_POWER = 0.99;

/** z with P(Z ≥ z) = p for a standard normal Z, by bisection on `normalSf` (p in (0, 1)). */
export function normalQuantileAbove(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`p must be in (0, 1), got ${p}`);
  let lo = -40;
  let hi = 40;
  for (let i = 0; i < 200 && hi - lo > 1e-12; i++) {
    const mid = (lo + hi) / 2;
    if (normalSf(mid) > p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Whether a one-sided Mann-Whitney test of n runs against m detects a shift of `shift`
 * spreads at level `alpha` with chance `power`, for normal noise. The test rejects when the
 * share of pairs won, Â, exceeds 1/2 + z_alpha·σ₀ (σ₀² = (n + m + 1)/(12·n·m), its spread
 * when nothing moved); a shift of s spreads makes its mean A = Φ(s/√2), with the spread σ₁
 * of Hanley and McNeil. The small-shift form s·√(3/π)·√(n·m/(n + m)) promised 40 runs where
 * commits of baselines 1.3-1.6 spreads apart ended unclear after 40 in the noise bench, and
 * demanded 13 runs where 3 runs below all of 40 reach p = 8e-5. The baseline runs bound the
 * power: σ₁ keeps a (m − 1) term however many commit runs there are.
 */
export function rankTestDetects(
  shift: number,
  n: number,
  m: number,
  alpha: number,
  power: number,
): boolean {
  const a = 1 - normalSf(shift / Math.SQRT2);
  const q1 = a / (2 - a);
  const q2 = (2 * a * a) / (1 + a);
  const null0 = Math.sqrt((n + m + 1) / (12 * n * m));
  const spread1 = Math.sqrt(
    Math.max(0, a * (1 - a) + (n - 1) * (q1 - a * a) + (m - 1) * (q2 - a * a)) / (n * m),
  );
  return a - 0.5 - normalQuantileAbove(alpha) * null0 >= normalQuantileAbove(1 - power) * spread1;
}

/**
 * The fewest commit runs with which the rank test against `baselineRuns` runs detects `shift`
 * spreads (`rankTestDetects`), or Infinity where even `most` runs would not.
 */
export function commitRunsNeeded(
  shift: number,
  baselineRuns: number,
  alpha: number,
  power: number,
  most: number,
): number {
  if (!(shift > 0)) return Number.POSITIVE_INFINITY;
  for (let n = 1; n <= most; n++) {
    if (rankTestDetects(shift, n, baselineRuns, alpha, power)) return n;
  }
  return Number.POSITIVE_INFINITY;
}
