import { type CcacheMode, type KernelBuildSpec, kernelBuildSpecOf } from '@kbisect/build';
import {
  type BootFailureVerdict,
  type Calibration,
  type DecisionPolicy,
  type Direction,
  exitCodePolicy,
  RECOMMENDED_CALIBRATION_SAMPLES,
  statisticalCalibration,
  thresholdPolicy,
} from '@kbisect/core';
import { type OracleSpec, oracleQuantity } from '@kbisect/oracle';
import type { BisectSpec, DecisionSpec } from './spec/bisect-spec.js';
import { directionOf } from './spec/oracle-direction.js';

/** How verdicts are reached: a fixed policy, or one calibrated on the endpoints. */
export interface DecisionSetup {
  direction: Direction;
  policy?: DecisionPolicy;
  calibration?: Calibration;
}

export const DEFAULT_BUILD_TIMEOUT_SECONDS = 3600;
/**
 * As `kbisect run`: the most runs of each endpoint, enough baseline runs that the rank test
 * can classify every commit; calibration stops earlier when good and bad differ clearly.
 */
export const DEFAULT_CALIBRATION_SAMPLES = RECOMMENDED_CALIBRATION_SAMPLES;

/**
 * The decision policy a bisect spec asks for, the way `kbisect run` derives it from its
 * flags: exit codes for a command oracle, a threshold when one is given, otherwise the rank
 * test calibrated on the endpoints. The direction is the oracle's own where it has one
 * (splice-loopback's measure), and throws where the spec contradicts it.
 */
export function decisionSetup(oracle: OracleSpec, decision: DecisionSpec = {}): DecisionSetup {
  const direction = directionOf(oracle, decision);
  // Stalled time is additive and mostly 0 on a good kernel: 2 and 20 ms/s are both "no
  // stalls" next to a bad kernel's 800, which a log scale would put far apart.
  const stalls = oracle.kind === 'splice-loopback' && oracle.measure === 'stalls';
  const quantity = oracleQuantity(oracle);
  const statistical = (): Calibration =>
    statisticalCalibration({
      samplesPerEndpoint: decision.calibrationSamples ?? DEFAULT_CALIBRATION_SAMPLES,
      calibrate: {
        direction,
        ...(decision.alpha !== undefined ? { alpha: decision.alpha } : {}),
        ...(decision.minEffect !== undefined ? { minEffect: decision.minEffect } : {}),
      },
      policy: {
        ...(decision.samples !== undefined ? { initialSamples: decision.samples } : {}),
        ...(decision.maxSamples !== undefined ? { maxSamples: decision.maxSamples } : {}),
        ...(stalls ? { scale: 'linear' as const } : {}),
        ...(quantity ?? {}),
      },
    });
  switch (oracle.kind) {
    case 'command':
      return { direction, policy: exitCodePolicy() };
    case 'metric':
      if (decision.threshold === undefined) return { direction, calibration: statistical() };
      return {
        direction,
        policy: thresholdPolicy({
          threshold: decision.threshold,
          direction,
          samples: decision.samples ?? 1,
        }),
      };
    case 'splice-loopback':
      return { direction, calibration: statistical() };
  }
}

/** What a kernel that does not boot is in this bisect: skipped, unless the spec says bad. */
export function bootFailureOf(spec: Pick<BisectSpec, 'bootFailure'>): BootFailureVerdict {
  return spec.bootFailure ?? 'skip';
}

/** The build command of a spec, or undefined when the checkout itself is what is tested. */
export function buildCommandOf(
  spec: Pick<BisectSpec, 'build'>,
): { command: string; timeoutMs: number; network: boolean; ccache: CcacheMode } | undefined {
  const build = spec.build;
  if (!build || !('command' in build)) return undefined;
  return {
    command: build.command,
    timeoutMs: 1000 * (build.timeoutSeconds ?? DEFAULT_BUILD_TIMEOUT_SECONDS),
    network: build.network ?? false,
    ccache: build.ccache ?? 'auto',
  };
}

/** The kernel build of a spec, as a build job carries it; undefined for a command build. */
export function kernelBuildOf(spec: Pick<BisectSpec, 'build'>): KernelBuildSpec | undefined {
  const build = spec.build;
  if (!build || !('kernel' in build)) return undefined;
  return kernelBuildSpecOf(build.kernel, DEFAULT_BUILD_TIMEOUT_SECONDS);
}
