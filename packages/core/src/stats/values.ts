import type { Direction } from '../decision.js';
import type { Sample } from '../evidence.js';
import { SampleWithoutValue } from './errors.js';
import { HANG_SENTINEL } from './format.js';

/**
 * The number one sample stands for. A hang is the worst possible outcome: 0 when higher is
 * better (a stalled transfer moves no bytes), the hang sentinel when lower is better
 * (it ranks after every real value yet stays a finite JSON number).
 */
export function sampleValue(sample: Sample, direction: Direction): number {
  if (sample.hang) return direction === 'higher-is-better' ? 0 : HANG_SENTINEL;
  if (typeof sample.value !== 'number' || !Number.isFinite(sample.value)) {
    throw new SampleWithoutValue(sample);
  }
  return sample.value;
}

export function sampleValues(samples: readonly Sample[], direction: Direction): number[] {
  return samples.map((s) => sampleValue(s, direction));
}

/**
 * Values turned so that larger is always better, so every rank test below asks the same
 * question ("is it worse?") whatever the metric's direction.
 */
export function goodness(values: readonly number[], direction: Direction): number[] {
  return direction === 'higher-is-better' ? [...values] : values.map((v) => -v);
}

/** Signed relative change turned into "how much worse": −0.92 throughput is 0.92 worse. */
export function worsening(change: number, direction: Direction): number {
  return direction === 'higher-is-better' ? -change : change;
}

export function countHangs(samples: readonly Sample[]): number {
  return samples.filter((s) => s.hang).length;
}
