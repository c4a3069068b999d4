import type { CalibrateOptions } from '../stats/calibrate.js';
import { planCalibration } from '../stats/calibration-plan.js';
import {
  baselinesSuffice,
  type StatisticalPolicyOptions,
  statisticalPolicy,
} from '../stats/statistical-policy.js';
import type { Calibration } from './run-bisect.js';

export interface StatisticalCalibrationOptions {
  /** Most runs of each endpoint; the calibration stops earlier once good and bad differ. */
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
        ...(firstLook !== undefined ? { firstLook } : {}),
      });
      return step.kind === 'measure'
        ? { kind: 'measure', runs: step.runs }
        : { kind: 'policy', policy: statisticalPolicy(step.baselines, options.policy) };
    },
  };
}
