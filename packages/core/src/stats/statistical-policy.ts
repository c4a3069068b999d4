import type { Decision, DecisionPolicy, Direction } from '../decision.js';
import type { DecisionEvidence, Sample } from '../evidence.js';
import type { Baselines } from './calibrate.js';
import { median } from './descriptive.js';
import { relativeChange } from './effect.js';
import { BaselinesTooSmall, NoSamples } from './errors.js';
import { formatP, formatPercent, formatRatio, formatValue, HANG_SENTINEL } from './format.js';
import {
  LIKELIHOOD_RATIO_CLIP,
  likelihoodRatio,
  likelihoodRatioTest,
  upperSpread,
} from './likelihood-ratio.js';
import { mannWhitneyU, rankTestFloor } from './mann-whitney.js';
import {
  commitRunsNeeded,
  NEAR_BASELINES_RUNS_FACTOR,
  RANK_TEST_POWER,
} from './rank-test-power.js';
import { sampleValues } from './values.js';

export interface StatisticalPolicyOptions {
  /**
   * Runs before the first decision (default 3; raised when the baselines are too small for
   * the rank test to decide with so few, unless they are far enough apart for the likelihood
   * ratio).
   */
  initialSamples?: number;
  /**
   * After this many runs an undecided commit is skipped as unclear (default 40), raised for
   * baselines so near that the rank test needs more (`commitRunCap`).
   */
  maxSamples?: number;
  /** Runs added each time the samples do not decide yet (default 2). */
  step?: number;
  /** Significance level of each look, on each side (default 0.001). */
  alpha?: number;
  /**
   * Fraction of the calibrated regression a commit must be away from a baseline before it
   * can be called the other way (default 0.15). See `statisticalPolicy`.
   */
  margin?: number;
  /** Name of the measured quantity in summaries ("throughput"). */
  metric?: string;
  /** Unit appended to values in summaries ("Gbit/s"). */
  unit?: string;
  /**
   * `auto` (default): log values where every value has a usable log, else plain values (see
   * `statisticalPolicy`). `linear`: always plain values, for additive quantities that sit at
   * or near 0 on good commits (stalled time), where a log scale would put 2 and 20 as far
   * apart as 80 and 800.
   */
  scale?: 'auto' | 'linear';
}

/**
 * Evidence of a verdict of the statistical policy: everything needed to redo the decision by
 * hand. `rule` says which test decided; the rank test's p-values are there either way.
 */
export interface RankTestEvidence extends DecisionEvidence {
  method: 'rank-test';
  /**
   * `rank-test`: the Mann-Whitney tests below reached alpha. `likelihood-ratio`: the baselines
   * are far apart and the sequential likelihood ratio (`likelihoodRatio`) crossed 1/alpha,
   * with the rank test not saying otherwise. Absent in journals older than the rule: rank-test.
   */
  rule?: 'rank-test' | 'likelihood-ratio';
  /** The commit's values (a hang as the worst value, as in `Baselines`). */
  samples: number[];
  baselineSamples: { good: number; bad: number };
  medians: { commit: number; good: number; bad: number };
  /**
   * Relative change of the commit's median against each baseline's median; null where a
   * median of 0 (all hung) leaves no ratio, so the journal stays valid JSON.
   */
  effects: { vsGood: number | null; vsBad: number | null };
  /**
   * Where the commit's median lies: 0 at the good median, 1 at the bad one (log scale);
   * null when a hang makes the distance infinite.
   */
  position: number | null;
  pValues: {
    /** One-sided Mann-Whitney: the commit is worse than good (what a report quotes). */
    worseThanGood: number;
    /** One-sided Mann-Whitney: the commit is better than bad. */
    betterThanBad: number;
    /** The tests that decide: against the baselines moved `margin` of the way across. */
    bad: number;
    good: number;
  };
  alpha: number;
  margin: number;
  /** Whether the tests ran on log values or on the values themselves. */
  scale: 'log' | 'linear';
  /**
   * The sequential likelihood ratio, where the baselines are far enough apart for it: natural
   * logs of the ratios for bad and for good, the threshold ln(1/alpha) they must reach, and
   * the model's spread and the baselines' distance in spreads.
   */
  likelihoodRatio?: {
    logBad: number;
    logGood: number;
    threshold: number;
    clip: number;
    spread: number;
    distance: number;
  };
}

const DEFAULT_MARGIN = 0.15;

/**
 * Classifies a commit against both calibrated baselines with one-sided Mann-Whitney tests,
 * taking more runs while the answer is unclear and skipping (`unclear`) rather than
 * guessing when `maxSamples` runs do not settle it.
 *
 * A commit is bad when it is significantly worse than the good baseline moved `margin`
 * (15%) of the way towards bad, not significantly better than the bad baseline moved 15% of
 * the way towards good, and its median is nearer bad than good; good is the mirror image.
 * Why a margin: the plain test "worse than good" asks whether there is any difference at
 * all, and against 40 baseline runs three runs of a good commit 2% slower than an unluckily
 * fast baseline are "significantly worse" (it happened in the noise bench). Between the two
 * margins lies an indifference zone, as in Wald's sequential test: a commit measured there
 * (a second, smaller regression) ends unclear instead of being forced to a side.
 *
 * Where the baselines are far apart relative to their spread (`baselinesFarApart`), a
 * censored sequential likelihood ratio (`likelihoodRatio`) decides too, at the same alpha:
 * three runs at the bad level of a −97% regression are certain, yet against the 6 + 6 runs a
 * calibration needs to see that, the rank test cannot go below p = 1/C(9, 3) ≈ 0.012. It
 * decides only where the rank tests do not point the other way and the median is on its side;
 * the evidence's `rule` says which test decided.
 *
 * Why these defaults (tuned with `npm run bench:noise`, CV 2-30%, effects 10-90%):
 * - alpha 0.001 per look and side: a bisect makes 10-14 decisions in a row and one wrong one
 *   names a wrong culprit, so each must be wrong well under 1 in 1000. The rank test can only
 *   get there with enough baseline runs: 3 commit runs against 5 baseline runs cannot go
 *   below p = 1/56; against 40 (`RECOMMENDED_CALIBRATION_SAMPLES`) 3 runs reach 8e-5. When
 *   neither test can decide with `initialSamples` runs, the policy starts with the smallest
 *   number of runs that can, and refuses (`BaselinesTooSmall`) when even `maxSamples` runs
 *   cannot reach alpha in the rank test.
 * - maxSamples 40: most commits decide after 3-5 runs, but an unclear commit next to the
 *   culprit leaves the bisect inconclusive. At CV 10-15% and a 20-40% regression a cap of 32
 *   left ~1% of bisects inconclusive, 40 none in 400; the cap only costs runs on the few
 *   commits that need it. Baselines nearer than that get the cap the rank test needs
 *   (`commitRunCap`, up to 4x), as a fixed 40 left commits of 3-5% regressions at CV 2-3%
 *   unclear.
 * - margin 0.15: 0.25 needed ~7% more runs and was unclear more often without fewer wrong
 *   verdicts; the wrong ones were too rare to tell apart.
 *
 * Tests run on log values when every value has a usable log, so the margin is a ratio and
 * noise that grows with the level (throughput) is treated alike at both ends. A 0 has one
 * when higher is better: log 0 = −∞ ranks it worst, as a run that moved nothing is. When
 * lower is better a 0 is the best value (no stalls, no errors): log would make it infinitely
 * good, the baselines infinitely apart, and the margin and the position meaningless, so
 * the tests run on the values themselves; `scale: 'linear'` asks for that always.
 */
/** What `statisticalPolicy` uses for the options a caller leaves out; reports name them. */
export const STATISTICAL_POLICY_DEFAULTS = {
  initialSamples: 3,
  maxSamples: 40,
  alpha: 0.001,
} as const;

export function statisticalPolicy(
  baselines: Baselines,
  options: StatisticalPolicyOptions = {},
): DecisionPolicy {
  const {
    initialSamples: requestedInitial = STATISTICAL_POLICY_DEFAULTS.initialSamples,
    maxSamples = STATISTICAL_POLICY_DEFAULTS.maxSamples,
    step = 2,
    alpha = STATISTICAL_POLICY_DEFAULTS.alpha,
    margin = DEFAULT_MARGIN,
    metric = 'median',
    unit,
    scale = 'auto',
  } = options;
  checkOptions(requestedInitial, maxSamples, step, alpha, margin);
  const { direction, medians } = baselines;
  const { log: baselineLog, scorer } = scoring(baselines, scale);
  const withUnit = (v: number) =>
    `${formatValue(v)}${unit && formatValue(v) !== 'hang' ? ` ${unit}` : ''}`;
  const lrThreshold = Math.log(1 / alpha);

  // The first look must be able to decide: by the likelihood ratio where the baselines are
  // far apart (it needs ceil(ln(1/alpha) / clip) runs), else by the rank test, whose floor
  // 1/C(n+m, n) against m baseline runs may need more than `initialSamples`.
  const far = baselinesFarApart(baselines, { scale, margin });
  // The baselines' model, fitted once for each scale a commit's runs may be tested on.
  const tests = new Map<boolean, ReturnType<typeof likelihoodRatioTest>>();
  const ratioTest = (log: boolean, score: (v: number) => number) => {
    if (!tests.has(log)) {
      tests.set(
        log,
        likelihoodRatioTest(baselines.good.map(score), baselines.bad.map(score), margin),
      );
    }
    return tests.get(log);
  };
  const smallest = Math.min(baselines.good.length, baselines.bad.length);
  const canDecide = (n: number) =>
    rankTestFloor(n, smallest) <= alpha || (far && n * LIKELIHOOD_RATIO_CLIP >= lrThreshold);
  let initialSamples = requestedInitial;
  while (!canDecide(initialSamples)) {
    if (initialSamples >= maxSamples) {
      throw new BaselinesTooSmall(baselines.good.length, baselines.bad.length, maxSamples, alpha);
    }
    initialSamples++;
  }
  if (rankTestFloor(maxSamples, smallest) > alpha) {
    throw new BaselinesTooSmall(baselines.good.length, baselines.bad.length, maxSamples, alpha);
  }
  const cap = commitRunCap(baselines, { ...options, maxSamples, alpha, margin, scale });

  return {
    initialSamples,
    decide(samples: readonly Sample[]): Decision {
      if (samples.length === 0) throw new NoSamples('the commit was not measured');
      const values = sampleValues(samples, direction);
      const log = baselineLog && values.every(hasLog(direction));
      const score = scorer(log);
      const good = baselines.good.map(score);
      const bad = baselines.bad.map(score);
      const commit = values.map(score);
      const goodLevel = median(good);
      const badLevel = median(bad);
      const commitLevel = median(commit);
      const gap = goodLevel - badLevel;
      // With most bad runs hung, a hang against a real number needs no margin.
      const shift = Number.isFinite(gap) ? margin * gap : 0;
      const position = Number.isFinite(gap)
        ? (goodLevel - commitLevel) / gap
        : commitLevel === -Infinity
          ? 1
          : 0;

      const pValues = {
        worseThanGood: mannWhitneyU(commit, good, { alternative: 'less' }).pValue,
        betterThanBad: mannWhitneyU(commit, bad, { alternative: 'greater' }).pValue,
        bad: mannWhitneyU(
          commit,
          good.map((s) => s - shift),
          { alternative: 'less' },
        ).pValue,
        good: mannWhitneyU(
          commit,
          bad.map((s) => s + shift),
          { alternative: 'greater' },
        ).pValue,
      };
      const ratio = ratioTest(log, score)?.(commit);
      const m = median(values);
      const finite = (x: number) => (Number.isFinite(x) ? x : null);
      const effects = {
        vsGood: finite(relativeChange(medians.good, m)),
        vsBad: finite(relativeChange(medians.bad, m)),
      };
      const n = values.length;
      const evidence = (
        summary: string,
        rule: RankTestEvidence['rule'] = 'rank-test',
      ): RankTestEvidence => ({
        method: 'rank-test',
        rule,
        summary,
        samples: values,
        baselineSamples: { good: baselines.good.length, bad: baselines.bad.length },
        medians: { commit: m, good: medians.good, bad: medians.bad },
        effects,
        position: finite(position),
        pValues,
        alpha,
        margin,
        scale: log ? 'log' : 'linear',
        ...(ratio
          ? {
              likelihoodRatio: {
                logBad: ratio.bad,
                logGood: ratio.good,
                threshold: lrThreshold,
                clip: ratio.clip,
                spread: ratio.spread,
                distance: ratio.distance,
              },
            }
          : {}),
      });
      // "-92% vs good (9.1 → 0.7 Gbit/s)"; a hang has no percentage: "vs good (9.1 Gbit/s →
      // hang)", nor a rise from 0: "vs good (0 → 800 ms/s)".
      const change = (from: number, pct: number | null) => {
        const hang = formatValue(from) === 'hang' || formatValue(m) === 'hang';
        const values = `(${hang ? withUnit(from) : formatValue(from)} → ${withUnit(m)})`;
        return pct === null || hang
          ? `vs good ${values}`
          : `${formatPercent(pct)} vs good ${values}`;
      };

      if (pValues.bad <= alpha && pValues.good > alpha && position > 0.5) {
        return {
          kind: 'verdict',
          verdict: 'bad',
          evidence: evidence(
            `${metric} ${change(medians.good, effects.vsGood)}, p = ${formatP(pValues.worseThanGood)}, ${n} + ${baselines.good.length} samples`,
          ),
        };
      }
      if (pValues.good <= alpha && pValues.bad > alpha && position < 0.5) {
        return {
          kind: 'verdict',
          verdict: 'good',
          evidence: evidence(
            `${metric} ${change(medians.good, effects.vsGood)}, unlike bad ${withUnit(medians.bad)} (p = ${formatP(pValues.betterThanBad)}), ${n} + ${baselines.bad.length} samples`,
          ),
        };
      }
      // The likelihood ratio decides only where the rank test does not say the other side.
      const lr = (x: number) => `likelihood ratio ${formatRatio(x)} ≥ ${formatRatio(lrThreshold)}`;
      if (ratio && ratio.bad >= lrThreshold && ratio.good < lrThreshold) {
        if (pValues.good > alpha && position > 0.5) {
          return {
            kind: 'verdict',
            verdict: 'bad',
            evidence: evidence(
              `${metric} ${change(medians.good, effects.vsGood)}, ${lr(ratio.bad)} (rank test p = ${formatP(pValues.worseThanGood)}), ${n} + ${baselines.good.length} samples`,
              'likelihood-ratio',
            ),
          };
        }
      }
      if (ratio && ratio.good >= lrThreshold && ratio.bad < lrThreshold) {
        if (pValues.bad > alpha && position < 0.5) {
          return {
            kind: 'verdict',
            verdict: 'good',
            evidence: evidence(
              `${metric} ${change(medians.good, effects.vsGood)}, unlike bad ${withUnit(medians.bad)} (${lr(ratio.good)}; rank test p = ${formatP(pValues.betterThanBad)}), ${n} + ${baselines.bad.length} samples`,
              'likelihood-ratio',
            ),
          };
        }
      }
      const where = `${metric} ${withUnit(m)} between good ${withUnit(medians.good)} and bad ${withUnit(medians.bad)}`;
      if (n < cap) {
        return {
          kind: 'more',
          count: Math.min(step, cap - n),
          why: `${n} samples do not decide: ${where} (p = ${formatP(pValues.bad)} for bad, ${formatP(pValues.good)} for good, alpha ${alpha})`,
        };
      }
      return {
        kind: 'verdict',
        verdict: 'skip',
        skipReason: 'unclear',
        evidence: evidence(
          `unclear after ${n} samples: ${where} (p = ${formatP(pValues.bad)} for bad, ${formatP(pValues.good)} for good, alpha ${alpha})`,
        ),
      };
    },
  };
}

const hasLog = (direction: Direction) => (v: number) =>
  v > 0 || (v === 0 && direction === 'higher-is-better');

/** Whether the tests use log values for these baselines, and the score of a value. */
function scoring(baselines: Baselines, scale: 'auto' | 'linear') {
  const { direction } = baselines;
  const log = scale === 'auto' && [...baselines.good, ...baselines.bad].every(hasLog(direction));
  const scorer = (log: boolean) => (v: number) => {
    // Larger is better; a hang is below everything, and stays there when shifted.
    if (v === HANG_SENTINEL && direction === 'lower-is-better') return -Infinity;
    const s = log ? Math.log(v) : v;
    return direction === 'higher-is-better' ? s : -s;
  };
  return { log, scorer };
}

/**
 * Whether the policy's likelihood ratio can decide against these baselines: good and bad at
 * least `LIKELIHOOD_RATIO_MIN_DISTANCE` spreads apart. Then a commit needs only a few runs
 * however few the baseline runs are; otherwise every verdict is a rank test against the
 * baselines, whose power grows with their runs, and the calibration goes on to its cap.
 */
export function baselinesFarApart(
  baselines: Baselines,
  options: Pick<StatisticalPolicyOptions, 'scale' | 'margin'> = {},
): boolean {
  const { log, scorer } = scoring(baselines, options.scale ?? 'auto');
  const score = scorer(log);
  const good = baselines.good.map(score);
  const bad = baselines.bad.map(score);
  return likelihoodRatio(good, bad, [], options.margin ?? DEFAULT_MARGIN) !== undefined;
}

/**
 * Whether a calibration may stop at these baselines before its cap: far apart
 * (`baselinesFarApart`), so a commit needs few runs, and with enough runs that the rank test
 * can still reach alpha within `maxSamples` runs of a commit (else the policy would refuse
 * them, `BaselinesTooSmall`).
 */
export function baselinesSuffice(
  baselines: Baselines,
  options: StatisticalPolicyOptions = {},
): boolean {
  const {
    maxSamples = STATISTICAL_POLICY_DEFAULTS.maxSamples,
    alpha = STATISTICAL_POLICY_DEFAULTS.alpha,
  } = options;
  const smallest = Math.min(baselines.good.length, baselines.bad.length);
  return rankTestFloor(maxSamples, smallest) <= alpha && baselinesFarApart(baselines, options);
}

/**
 * The baselines' distance in spreads on the scale the tests use (log values where every
 * value has one): the gap of the medians over an upper estimate of their spread
 * (`upperSpread`, as the likelihood ratio uses). It plans how many runs a verdict needs,
 * and a spread estimated too small would make a cap too short: with the plain estimate,
 * 1.3% of the bisects of 3-5% regressions at CV 2-3% still ended on an unclear commit.
 */
export function baselineDistance(
  baselines: Baselines,
  options: Pick<StatisticalPolicyOptions, 'scale'> = {},
): number {
  const { log, scorer } = scoring(baselines, options.scale ?? 'auto');
  const score = scorer(log);
  const good = baselines.good.map(score);
  const bad = baselines.bad.map(score);
  if (![...good, ...bad].every(Number.isFinite)) return Number.POSITIVE_INFINITY;
  const gap = median(good) - median(bad);
  const spread = upperSpread(good, bad);
  if (!(gap > 0)) return 0;
  return spread > 0 ? gap / spread : Number.POSITIVE_INFINITY;
}

/**
 * Runs after which a commit measured against these baselines is skipped as unclear:
 * `maxSamples`, or, where the baselines are near, the runs the rank test needs to classify a
 * commit at either level with chance `RANK_TEST_POWER` (`commitRunsNeeded`: the commit is
 * tested against a baseline moved `margin` of the gap towards it, so the shift it must detect
 * is (1 − margin) of the baselines' distance), up to `NEAR_BASELINES_RUNS_FACTOR` ×
 * `maxSamples`. Why: a fixed cap of 40 runs left commits of a 3-5% regression at 2-3% noise
 * (baselines 1-2.5 spreads apart) unclear, and an unclear commit next to the culprit makes
 * the bisect inconclusive (5% of such bisects in the noise bench); a sequential test stops as
 * soon as it can, so a higher cap costs runs only on the commits that need them.
 */
export function commitRunCap(baselines: Baselines, options: StatisticalPolicyOptions = {}): number {
  const { needed, maxSamples, ceiling } = commitRuns(baselines, options);
  return Math.max(maxSamples, Math.min(needed, ceiling));
}

/**
 * Whether these baselines are enough for the rank test to classify a commit at either level
 * with chance `RANK_TEST_POWER` within the raised cap (`commitRunCap`). Where they are not,
 * the calibration measures the endpoints further (past its cap, `planCalibration`'s
 * `ceiling`): the rank test's power is bounded by the baseline runs, and no number of commit
 * runs makes up for too few of them.
 */
export function baselinesPowerful(
  baselines: Baselines,
  options: StatisticalPolicyOptions = {},
): boolean {
  const { needed, ceiling } = commitRuns(baselines, options);
  return needed <= ceiling;
}

/** The commit runs `commitRunCap` and `baselinesPowerful` weigh, and the most allowed. */
function commitRuns(baselines: Baselines, options: StatisticalPolicyOptions) {
  const {
    maxSamples = STATISTICAL_POLICY_DEFAULTS.maxSamples,
    alpha = STATISTICAL_POLICY_DEFAULTS.alpha,
    margin = DEFAULT_MARGIN,
  } = options;
  const smallest = Math.min(baselines.good.length, baselines.bad.length);
  const shift = (1 - margin) * baselineDistance(baselines, options);
  const ceiling = NEAR_BASELINES_RUNS_FACTOR * maxSamples;
  return {
    needed: commitRunsNeeded(shift, smallest, alpha, RANK_TEST_POWER, ceiling),
    maxSamples,
    ceiling,
  };
}

function checkOptions(initial: number, max: number, step: number, alpha: number, margin: number) {
  const positiveInt = (n: number) => Number.isInteger(n) && n >= 1;
  if (!positiveInt(initial))
    throw new RangeError(`initialSamples must be a positive integer, got ${initial}`);
  if (!positiveInt(max) || max < initial) {
    throw new RangeError(`maxSamples must be an integer ≥ initialSamples (${initial}), got ${max}`);
  }
  if (!positiveInt(step)) throw new RangeError(`step must be a positive integer, got ${step}`);
  if (!(alpha > 0 && alpha < 1))
    throw new RangeError(`alpha must be between 0 and 1, got ${alpha}`);
  if (!(margin >= 0 && margin < 0.5)) {
    throw new RangeError(
      `margin must be in [0, 0.5): the two margins must not cross, got ${margin}`,
    );
  }
}
