import { median } from './descriptive.js';

/**
 * Most a single run can move the likelihood ratio, either way: 20x, the ratio a 5% chance of
 * a wild run allows (Huber's censored probability ratio test, robust against that much
 * contamination). At alpha 0.001 no fewer than three runs can decide (20² < 1000 ≤ 20³), and
 * a wild run takes back at most what one clean run gave.
 */
export const LIKELIHOOD_RATIO_CLIP = Math.log(20);

/**
 * How far apart, in spreads, the baselines must be for the likelihood ratio to be used. Below
 * it a decision needs many runs, each weighed through a normal model fitted to few baseline
 * runs, and a spread estimated too small would make it bold; the rank test, which assumes no
 * shape, decides those commits alone. The noise bench (CV up to 30%, 2% wild runs) names no
 * wrong culprit with it.
 */
export const LIKELIHOOD_RATIO_MIN_DISTANCE = 6;

export interface LikelihoodRatio {
  /**
   * Log likelihood ratio for "the commit is at the bad level" against "at the good level
   * moved `margin` of the way towards bad", each run's term clipped to ±`clip`.
   */
  bad: number;
  /** The mirror image: at the good level against the bad level moved `margin` towards good. */
  good: number;
  /** The spread the normal model uses: an upper estimate, from both baselines' runs. */
  spread: number;
  /** Distance of the baseline levels in spreads. */
  distance: number;
  clip: number;
}

/**
 * Wald's sequential probability ratio test between the two calibrated levels, for commits
 * whose baselines are far apart relative to their spread: there three runs near the bad level
 * say "bad" with more certainty than the rank test can express against a few baseline runs
 * (3 runs against 6 cannot go below p = 1/C(9, 3) ≈ 0.012). Scores are the policy's (larger is
 * better; log values when it uses them; −∞ for a hang). Each run's term is clipped, so a wild
 * run counts as one run that looks very bad, not as proof; as in the rank test, each
 * hypothesis is moved `margin` of the gap towards the other, so a commit between the levels
 * (a second, smaller regression) drifts to neither side.
 *
 * Undefined where the model does not hold or would be bold: a hang among the baselines, bad
 * not below good, or baselines nearer than `LIKELIHOOD_RATIO_MIN_DISTANCE` spreads.
 */
export function likelihoodRatio(
  good: readonly number[],
  bad: readonly number[],
  commit: readonly number[],
  margin: number,
): LikelihoodRatio | undefined {
  return likelihoodRatioTest(good, bad, margin)?.(commit);
}

/**
 * `likelihoodRatio` with the baselines' model fitted once: the test of a commit's scores, or
 * undefined where the rule stays out.
 */
export function likelihoodRatioTest(
  good: readonly number[],
  bad: readonly number[],
  margin: number,
): ((commit: readonly number[]) => LikelihoodRatio) | undefined {
  if (![...good, ...bad].every(Number.isFinite)) return undefined;
  const goodLevel = median(good);
  const badLevel = median(bad);
  const gap = goodLevel - badLevel;
  if (!(gap > 0)) return undefined;
  const spread = Math.max(upperSpread(good, bad), gap / 1000);
  const distance = gap / spread;
  if (distance < LIKELIHOOD_RATIO_MIN_DISTANCE) return undefined;
  const clip = LIKELIHOOD_RATIO_CLIP;
  const logNormal = (x: number, level: number) => -(((x - level) / spread) ** 2) / 2;
  const term = (x: number, h1: number, h0: number) => {
    // A hang is the worst run there is: as far towards bad as a run may count.
    const t = x === -Infinity ? (h1 < h0 ? clip : -clip) : logNormal(x, h1) - logNormal(x, h0);
    return Math.max(-clip, Math.min(clip, t));
  };
  return (commit) => {
    const sum = (h1: number, h0: number) => commit.reduce((s, x) => s + term(x, h1, h0), 0);
    return {
      bad: sum(badLevel, goodLevel - margin * gap),
      good: sum(goodLevel, badLevel + margin * gap),
      spread,
      distance,
      clip,
    };
  };
}

/**
 * An upper estimate of the baselines' spread: the pooled pairwise spread (`pairwiseSigma`)
 * inflated by 2/√n, about the estimate's standard error twice over, so that a small
 * calibration makes the rules that lean on it (the likelihood ratio, the runs a rank-test
 * verdict needs) cautious, never bold.
 */
export function upperSpread(good: readonly number[], bad: readonly number[]): number {
  return pairwiseSigma([good, bad]) * (1 + 2 / Math.sqrt(good.length + bad.length));
}

/** Makes the median pairwise distance estimate σ when the noise is normal: 1/(√2 × 0.6745). */
const PAIRWISE_TO_SIGMA = 1.0483;

/**
 * The spread within groups from the median distance between two runs of the same group
 * (Shamos' estimator, pooled). Unlike the MAD around each group's own median, it is not
 * pulled down when a group has few runs: with 6 runs per endpoint the MAD came out below half
 * the true spread in 3% of calibrations, this in under 0.1% (normal noise).
 */
function pairwiseSigma(groups: readonly (readonly number[])[]): number {
  const distances: number[] = [];
  for (const group of groups) {
    for (let i = 0; i < group.length; i++) {
      for (let j = i + 1; j < group.length; j++) {
        distances.push(Math.abs((group[i] as number) - (group[j] as number)));
      }
    }
  }
  return distances.length > 0 ? PAIRWISE_TO_SIGMA * median(distances) : 0;
}
