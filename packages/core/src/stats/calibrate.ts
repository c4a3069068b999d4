import type { Direction } from '../decision.js';
import type { Sample } from '../evidence.js';
import { madSigma, median } from './descriptive.js';
import { relativeChange } from './effect.js';
import { type EndpointSummary, NoSamples, NotDistinguishable } from './errors.js';
import { formatP, formatPercent } from './format.js';
import { mannWhitneyU, rankTestFloor } from './mann-whitney.js';
import { countHangs, goodness, sampleValues, worsening } from './values.js';

export interface CalibrateOptions {
  direction: Direction;
  /** Largest one-sided rank-test p-value for "bad is worse than good" (default 0.01). */
  alpha?: number;
  /**
   * Looks at the endpoints the calibration may take (`planCalibration`): each look tests at
   * alpha / looks, so that stopping at the first look that passes keeps the chance of
   * calibrating on two endpoints that do not differ at all below alpha (Bonferroni). Default 1.
   */
  looks?: number;
  /**
   * Smallest relative change of the medians worth bisecting (default 0.02 = 2%): a floor for
   * effects nobody would chase, not the test of whether the endpoints differ. That test is
   * the rank test and the separation, which judge the difference against the noise: a 3%
   * regression on a metric that varies by 1% is clear, a 20% one at 30% is not.
   */
  minEffect?: number;
  /**
   * Smallest chance that a good run beats a bad run (default 0.70). Below it the endpoints
   * differ on average but single commits cannot be classified: in the noise bench such
   * bisects ran 700-2,500 oracle runs and named the culprit less than 1 time in 4 (with a
   * fixed cap of 40 runs per commit). 0.70 is the separation of normal baselines 0.74 spreads apart, the nearest
   * whose commits the rank test can classify within the raised caps
   * (`NEAR_BASELINES_RUNS_FACTOR`). It was 0.75 (0.95 spreads): a 3% regression at 3% noise
   * with 2% wild runs has a separation of about 0.745, so half of those were refused, and
   * with 40 + 40 runs the estimate varies by ±0.05, which refused 4% of the bisects of 3-5%
   * regressions at CV 2-3%.
   */
  minSeparation?: number;
}

/** What good and bad look like, measured on the endpoints; every later verdict compares to it. */
export interface Baselines {
  direction: Direction;
  /** Measured values; a hang is the worst value (0, or the hang sentinel when lower is better). */
  good: number[];
  bad: number[];
  medians: { good: number; bad: number };
  /** Robust standard deviations (MAD × 1.4826). */
  spreads: { good: number; bad: number };
  hangs: { good: number; bad: number };
  /** One-sided Mann-Whitney p-value for "bad is worse than good". */
  pValue: number;
  /** median_bad / median_good − 1: −0.92 is a 92% drop. */
  effect: number;
  /** Chance that a good run beats a bad run, ties counting half (1 = no overlap at all). */
  separation: number;
}

/**
 * The most samples per endpoint a bisect calibrates on (the cap of `planCalibration`, which
 * stops earlier where the endpoints are far apart). Every rank-test verdict is a comparison
 * with these baselines, so their own noise is in every verdict: in the noise bench (CV 10-15%,
 * effect 20-40%) 20 per endpoint leave ~1.5% of commits unclear, 40 about 0.1%. Forty also
 * gives the rank test room: 3 commit samples all below 40 baseline samples have p =
 * 1/C(43,3) ≈ 8e-5, while against 5 baseline samples no p-value can go below 1/56 ≈ 0.018.
 * Endpoint runs are cheap next to builds: the kernel is built and booted once per batch.
 */
export const RECOMMENDED_CALIBRATION_SAMPLES = 40;

/**
 * Measures whether the endpoints differ enough to bisect, and returns the baselines the
 * per-commit policy classifies against. Throws `NotDistinguishable` rather than let a
 * bisect chase noise.
 */
/** What `calibrate` uses for the options a caller leaves out; reports name them. */
export const CALIBRATION_DEFAULTS = { alpha: 0.01, minEffect: 0.02, minSeparation: 0.7 } as const;

export function calibrate(
  goodSamples: readonly Sample[],
  badSamples: readonly Sample[],
  options: CalibrateOptions,
): Baselines {
  const {
    direction,
    alpha = CALIBRATION_DEFAULTS.alpha,
    minEffect = CALIBRATION_DEFAULTS.minEffect,
    minSeparation = CALIBRATION_DEFAULTS.minSeparation,
    looks = 1,
  } = options;
  const level = alpha / looks;
  if (goodSamples.length === 0) throw new NoSamples('the good endpoint was not measured');
  if (badSamples.length === 0) throw new NoSamples('the bad endpoint was not measured');
  const good = sampleValues(goodSamples, direction);
  const bad = sampleValues(badSamples, direction);
  const medians = { good: median(good), bad: median(bad) };
  const spreads = { good: madSigma(good), bad: madSigma(bad) };
  const hangs = { good: countHangs(goodSamples), bad: countHangs(badSamples) };
  const test = mannWhitneyU(goodness(good, direction), goodness(bad, direction), {
    alternative: 'greater',
  });
  const { pValue } = test;
  const separation = test.u / (good.length * bad.length);
  const effect = relativeChange(medians.good, medians.bad);

  const summary = (values: number[], which: 'good' | 'bad'): EndpointSummary => ({
    median: medians[which],
    spread: spreads[which],
    samples: values.length,
    hangs: hangs[which],
  });
  const refuse = (reason: string) =>
    new NotDistinguishable(
      summary(good, 'good'),
      summary(bad, 'bad'),
      direction,
      pValue,
      effect,
      separation,
      reason,
    );

  if (worsening(effect, direction) < 0) {
    throw refuse(
      `bad is better than good (${formatPercent(effect)}); check --higher-is-better / --lower-is-better`,
    );
  }
  if (pValue >= level) {
    const floor = rankTestFloor(bad.length, good.length);
    const hint =
      floor >= level
        ? `; with ${good.length} + ${bad.length} samples no p-value can go below ${formatP(floor)}`
        : '';
    const threshold = looks > 1 ? `alpha ${alpha} / ${looks} looks` : `alpha ${alpha}`;
    throw refuse(`rank test p = ${formatP(pValue)} ≥ ${threshold}${hint}`);
  }
  if (Math.abs(effect) < minEffect) {
    throw refuse(
      `the medians differ by ${formatPercent(effect)}, less than the minimum effect ${formatPercent(minEffect).replace('+', '')}`,
    );
  }
  if (separation < minSeparation) {
    throw refuse(
      `a good run beats a bad run only ${Math.round(100 * separation)}% of the time (need ${Math.round(100 * minSeparation)}%): ` +
        'the endpoints differ on average, but single commits could not be told apart; reduce the noise (longer runs, an idle lab)',
    );
  }
  return { direction, good, bad, medians, spreads, hangs, pValue, effect, separation };
}
