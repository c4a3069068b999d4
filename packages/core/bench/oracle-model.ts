import type { Sample } from '../src/evidence.js';
import type { Prng } from './prng.js';

/** How the simulated splice-loopback throughput behaves. */
export interface NoiseModel {
  /** Throughput of a good kernel, Gbit/s. */
  goodLevel: number;
  /** Fraction of throughput lost at and after the culprit (0.2 = 20% slower). */
  regression: number;
  /** Coefficient of variation of the lognormal run-to-run noise. */
  cv: number;
  /** Chance that one run is an outlier, ×0.3 or ×3 with equal odds (a noisy neighbour, a cache hit). */
  outlierRate: number;
}

/** One run of the oracle on a good or a bad kernel. */
export function measure(rng: Prng, isBad: boolean, model: NoiseModel): Sample {
  const sigma = Math.sqrt(Math.log(1 + model.cv * model.cv));
  // Median at the nominal level: a 20% regression moves the median by 20%.
  let value = (isBad ? 1 - model.regression : 1) * model.goodLevel * Math.exp(sigma * rng.normal());
  const u = rng.next();
  if (u < model.outlierRate / 2) value *= 0.3;
  else if (u < model.outlierRate) value *= 3;
  return { value, seconds: 1 };
}
