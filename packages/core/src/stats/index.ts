export {
  type Baselines,
  CALIBRATION_DEFAULTS,
  type CalibrateOptions,
  calibrate,
  RECOMMENDED_CALIBRATION_SAMPLES,
} from './calibrate.js';
export {
  type CalibrationPlanOptions,
  type CalibrationStep,
  calibrationLooks,
  FIRST_CALIBRATION_LOOK,
  planCalibration,
} from './calibration-plan.js';
export { describeEffect } from './describe-effect.js';
export { iqr, madSigma, median, quantile } from './descriptive.js';
export {
  hodgesLehmannInterval,
  hodgesLehmannRatio,
  hodgesLehmannRatioInterval,
  hodgesLehmannShift,
  relativeChange,
  type ShiftInterval,
} from './effect.js';
export {
  BaselinesTooSmall,
  type EndpointSummary,
  NoSamples,
  NotDistinguishable,
  OracleAborted,
  SampleWithoutValue,
} from './errors.js';
export { exitCodePolicy } from './exit-code-policy.js';
export { formatP, formatPercent, formatRatio, formatValue, HANG_SENTINEL } from './format.js';
export {
  LIKELIHOOD_RATIO_CLIP,
  LIKELIHOOD_RATIO_MIN_DISTANCE,
  type LikelihoodRatio,
  likelihoodRatio,
} from './likelihood-ratio.js';
export {
  type Alternative,
  EXACT_MAX_SAMPLES,
  EXACT_MAX_TOTAL,
  type MannWhitneyOptions,
  type MannWhitneyResult,
  mannWhitneyU,
  rankTestFloor,
} from './mann-whitney.js';
export { normalSf } from './normal.js';
export {
  commitRunsNeeded,
  NEAR_BASELINES_RUNS_FACTOR,
  RANK_TEST_POWER,
  rankTestDetects,
} from './rank-test-power.js';
export {
  type RegressionSinceLastGood,
  regressionSinceLastGood,
  type TipRegressionRule,
} from './regression-since-last-good.js';
export {
  baselineDistance,
  baselinesFarApart,
  baselinesPowerful,
  baselinesSuffice,
  commitRunCap,
  type RankTestEvidence,
  STATISTICAL_POLICY_DEFAULTS,
  type StatisticalPolicyOptions,
  statisticalPolicy,
} from './statistical-policy.js';
export { type ThresholdPolicyOptions, thresholdPolicy } from './threshold-policy.js';
export { sampleValue } from './values.js';
