import type { Sample } from '../evidence.js';
import {
  type Baselines,
  CALIBRATION_DEFAULTS,
  type CalibrateOptions,
  calibrate,
} from './calibrate.js';
import { NotDistinguishable } from './errors.js';
import { rankTestFloor } from './mann-whitney.js';
import { normalSf } from './normal.js';
import { normalQuantileAbove } from './rank-test-power.js';

export interface CalibrationPlanOptions extends Omit<CalibrateOptions, 'looks'> {
  /**
   * The cap: at this look the endpoints are told apart or refused, unless they differ but
   * are near, which may go on to `ceiling`.
   */
  maxSamples: number;
  /** Runs of each endpoint before the first look (default 6, or `maxSamples` when smaller). */
  firstLook?: number;
  /**
   * Whether baselines that tell good from bad are also enough for every later verdict
   * (`baselinesSuffice`); where they are not, the calibration goes on to the cap, since each
   * commit is then compared with them by a rank test whose power grows with their runs.
   * Default: any baselines that pass are enough.
   */
  enough?: (baselines: Baselines) => boolean;
  /**
   * Most runs of each endpoint when the endpoints differ but are near (default `maxSamples`:
   * never past the cap). Past the cap the looks go on doubling up to it, while the rank test
   * says bad is worse yet the baselines are not `powerful` or fail the effect or separation
   * checks: a small but real difference, which more runs measure better. Endpoints the rank
   * test cannot tell apart at the cap are refused there.
   */
  ceiling?: number;
  /**
   * Whether baselines at or past the cap are enough for the verdicts to come
   * (`baselinesPowerful`); where they are not, the calibration goes on up to `ceiling`.
   * Default: any baselines that pass are enough.
   */
  powerful?: (baselines: Baselines) => boolean;
}

/** What the endpoints need next: more runs before the next look, or nothing more. */
export type CalibrationStep =
  /** Measure every endpoint until it has `runs` samples, then plan again. */
  | { kind: 'measure'; runs: number; look: number; looks: number }
  | { kind: 'calibrated'; baselines: Baselines; look: number; looks: number };

/**
 * Six runs each is the smallest first look that can pass: the rank test of 6 + 6 runs that do
 * not overlap has p = 1/C(12, 6) ≈ 0.0011, below 0.01 split over four looks (0.0025), while
 * 5 + 5 stop at 1/252 ≈ 0.004. A regression that large (the demo's −97%) needs no more.
 */
export const FIRST_CALIBRATION_LOOK = 6;

/**
 * The runs per endpoint at which the calibration looks: doubling from `firstLook` up to the
 * cap, then on to the `ceiling` (6, 12, 24, 40, 80, 160 for a cap of 40 and a ceiling of 160).
 * Few looks keep the alpha each one gets large; doubling keeps the runs spent past the point
 * where the endpoints could be told apart below 2x. The looks past the cap are counted in
 * every calibration's alpha / looks, taken or not, so that going on past the cap keeps the
 * chance of calibrating on endpoints that do not differ below alpha.
 */
export function calibrationLooks(
  maxSamples: number,
  firstLook: number = FIRST_CALIBRATION_LOOK,
  ceiling: number = maxSamples,
): number[] {
  if (!Number.isInteger(maxSamples) || maxSamples < 1) {
    throw new RangeError(`maxSamples must be a positive integer, got ${maxSamples}`);
  }
  if (!Number.isInteger(firstLook) || firstLook < 1) {
    throw new RangeError(`firstLook must be a positive integer, got ${firstLook}`);
  }
  if (!Number.isInteger(ceiling) || ceiling < maxSamples) {
    throw new RangeError(`ceiling must be an integer ≥ maxSamples (${maxSamples}), got ${ceiling}`);
  }
  const looks: number[] = [];
  for (let n = firstLook; n < maxSamples; n *= 2) looks.push(n);
  looks.push(maxSamples);
  for (let n = 2 * maxSamples; n < ceiling; n *= 2) looks.push(n);
  if (ceiling > maxSamples) looks.push(ceiling);
  return looks;
}

/**
 * Calibration that stops when it knows, as a pure function of the endpoint samples so far
 * (each good endpoint's, and the bad one's): measure all endpoints up to the next look, and
 * at a look either return the baselines or refuse (`NotDistinguishable` from `calibrate`).
 * A look before the cap that cannot tell the endpoints apart yet asks for the next one; the
 * cap refuses endpoints the rank test cannot tell apart, and near ones go on past it up to
 * the `ceiling`, which refuses whatever still fails. Because the answer depends on the samples alone, a resumed bisect
 * whose journal holds part of the calibration measures exactly what is missing and reaches
 * the same baselines as one that was never interrupted, given the same samples.
 *
 * Endpoints with unequal runs (a calibration killed between the bad and the good endpoint,
 * or a journal from a version without looks) are first brought up to the smallest look that
 * covers them all, so every look compares equal runs of each endpoint.
 */
export function planCalibration(
  goods: readonly (readonly Sample[])[],
  bad: readonly Sample[],
  options: CalibrationPlanOptions,
): CalibrationStep {
  const {
    maxSamples,
    firstLook,
    enough = () => true,
    ceiling = maxSamples,
    powerful = () => true,
    ...calibrateOptions
  } = options;
  const looks = calibrationLooks(
    maxSamples,
    Math.min(firstLook ?? FIRST_CALIBRATION_LOOK, maxSamples),
    ceiling,
  );
  const cap = looks.indexOf(maxSamples);
  const counts = [bad.length, ...goods.map((g) => g.length)];
  const most = Math.max(...counts);
  const least = Math.min(...counts);
  const index = looks.findIndex((n) => n >= most);
  // More runs than the cap (a journal calibrated with a larger one): this is the last look,
  // on what the journal holds once every endpoint has the cap.
  const look = index === -1 ? looks.length - 1 : index;
  const runs = looks[look] as number;
  const where = { look: look + 1, looks: looks.length };
  if (least < runs) return { kind: 'measure', runs, ...where };
  const last = look === looks.length - 1;
  const next = {
    kind: 'measure',
    runs: looks[look + 1] as number,
    look: look + 2,
    looks: looks.length,
  } as const;
  try {
    const baselines = calibrate(goods.flat(), bad, { ...calibrateOptions, looks: looks.length });
    if (look < cap && !enough(baselines)) return next;
    if (!last && look >= cap && !powerful(baselines)) return next;
    return { kind: 'calibrated', baselines, ...where };
  } catch (error) {
    if (!(error instanceof NotDistinguishable) || last) throw error;
    if (look < cap) return next;
    // Past the cap only while the rank test sees a real difference that the effect or
    // separation check did not accept yet, a difference that would reach the level at the
    // next look if it is real (`reachesLevelByNextLook`), or endpoints that do not overlap at
    // all with too few runs for it to say so (a cap below 6: 5 + 5 such runs stop at p =
    // 1/252, above 0.01 / 3 looks); endpoints that overlap and that it cannot tell apart are
    // refused.
    const level = (calibrateOptions.alpha ?? CALIBRATION_DEFAULTS.alpha) / looks.length;
    const floor = rankTestFloor(runs, runs);
    if (separationOutOfReach(error.separation, minSeparationOf(calibrateOptions), runs)) {
      throw error;
    }
    if (
      error.pValue < level ||
      reachesLevelByNextLook(error.pValue, level, runs, next.runs) ||
      (floor >= level && error.pValue <= floor * (1 + 1e-9))
    ) {
      return next;
    }
    throw error;
  }
}

/**
 * The chance a difference the cap did not accept must have of reaching the level at the next
 * look, were it as large as seen (conditional power), for the calibration to measure on.
 */
const NEXT_LOOK_POWER = 0.8;

/**
 * Whether a rank test at p with `runs` runs of each endpoint would reach `level` with the
 * `nextRuns` of the next look with chance `NEXT_LOOK_POWER`, were the difference it sees real
 * and as large: its z is a Brownian motion over √runs with the drift seen so far, so at the
 * next look it is z·√(next / runs) ± √(1 − runs / next) (p ≤ 0.0063 at 40 runs for 0.01 / 6
 * at 80). Why: the noise bench refused 0.75% of the 3-5% regressions at CV 2-3% at the cap
 * of 40 runs, most with p between 0.0017 and 0.006, where 80 or 160 runs tell them apart. A
 * chance of a half (p ≤ 0.019) rescued a few more but raised the runs of the noisiest cell
 * (CV 15-30%, 10-20% effects) by a fifth, on endpoints the last look refused. The chance of
 * calibrating on endpoints that do not differ stays below alpha, as every look is held to
 * alpha / looks, taken or not.
 */
export function reachesLevelByNextLook(
  pValue: number,
  level: number,
  runs: number,
  nextRuns: number,
): boolean {
  if (!(nextRuns > runs) || !(pValue > 0 && pValue < 1)) return false;
  const share = runs / nextRuns;
  const z =
    normalQuantileAbove(level) + normalQuantileAbove(1 - NEXT_LOOK_POWER) * Math.sqrt(1 - share);
  return pValue <= normalSf(z * Math.sqrt(share));
}

const minSeparationOf = (options: Partial<CalibrateOptions>) =>
  options.minSeparation ?? CALIBRATION_DEFAULTS.minSeparation;

/**
 * Whether the separation (the share of good runs that beat bad ones) is so far below the floor
 * that more runs are not worth taking: more than its standard error with `runs` runs of each
 * endpoint, √((2·runs + 1) / (12·runs²)) (0.065 at 40 runs, 0.046 at 80), below it. More runs
 * estimate a separation better, they do not raise it. Why: measuring on to the last look
 * every pair of endpoints whose rank test passed but whose separation did not, as near as it
 * was, cost the noisiest cells of the noise bench (CV 15-30%, 10-20% effects) 160 + 160 runs
 * for a refusal. At 40 runs it refuses what `reachesLevelByNextLook` would refuse anyway, as
 * p and the separation are one statistic at a given number of runs.
 */
function separationOutOfReach(separation: number, minSeparation: number, runs: number): boolean {
  return separation < minSeparation - Math.sqrt((2 * runs + 1) / (12 * runs * runs));
}
