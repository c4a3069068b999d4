import type { CalibrateOptions } from '../stats/calibrate.js';
import { planCalibration } from '../stats/calibration-plan.js';
import { NEAR_BASELINES_RUNS_FACTOR } from '../stats/rank-test-power.js';
import {
  baselinesPowerful,
  baselinesSuffice,
  type StatisticalPolicyOptions,
  statisticalPolicy,
} from '../stats/statistical-policy.js';
import type { Calibration } from './run-bisect.js';

export interface StatisticalCalibrationOptions {
  /**
   * Most runs of each endpoint; the calibration stops earlier once good and bad differ, and
   * goes on up to `NEAR_BASELINES_RUNS_FACTOR` times this where they differ but are so near
   * that the rank test needs more baseline runs (`baselinesPowerful`).
   */
  samplesPerEndpoint: number;
  /** Runs of each endpoint before the first look (`FIRST_CALIBRATION_LOOK`). */
  firstLook?: number;
  calibrate: Omit<CalibrateOptions, 'looks'>;
  policy?: StatisticalPolicyOptions;
}

/**
 * The statistical mode's calibration: the endpoints are measured look by look
 * (`planCalibration`) and the per-commit rank-test policy is derived from the baselines.
 */
export function statisticalCalibration(options: StatisticalCalibrationOptions): Calibration {
  const { samplesPerEndpoint, firstLook } = options;
  return {
    samplesPerEndpoint,
    plan(goods, bad) {
      const step = planCalibration(goods, bad, {
        ...options.calibrate,
        maxSamples: samplesPerEndpoint,
        enough: (baselines) => baselinesSuffice(baselines, options.policy),
        ceiling: NEAR_BASELINES_RUNS_FACTOR * samplesPerEndpoint,
        powerful: (baselines) => baselinesPowerful(baselines, options.policy),
        ...(firstLook !== undefined ? { firstLook } : {}),
      });
      return step.kind === 'measure'
        ? { kind: 'measure', runs: step.runs }
        : { kind: 'policy', policy: statisticalPolicy(step.baselines, options.policy) };
    },
  };
}
