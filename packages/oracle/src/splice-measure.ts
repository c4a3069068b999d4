import type { Direction } from '@kbisect/core';
import type { SpliceBenchPattern, SpliceBenchResult } from './splice-bench.js';

/**
 * What a splice-loopback sample is. `rate`: transactions/s (rr) or bytes/s (bulk), the
 * figure of the original report. `stalls`: milliseconds per second spent in receive stalls
 * (gaps at or above splice-bench's threshold). The stalls are what the 3.7 bug class
 * causes, and unlike throughput (±25% between runs under TCG) they are not noisy: a healthy
 * kernel has none, a broken one stalls hundreds of ms in every second.
 */
export const SPLICE_MEASURES = ['rate', 'stalls'] as const;
export type SpliceMeasure = (typeof SPLICE_MEASURES)[number];
export const DEFAULT_SPLICE_MEASURE: SpliceMeasure = 'rate';

export const MS_PER_SECOND = 1000;

/** The only direction that makes sense for each measure: a bisect never has to be told. */
export function spliceMeasureDirection(measure: SpliceMeasure): Direction {
  return measure === 'stalls' ? 'lower-is-better' : 'higher-is-better';
}

/** What the numbers of a splice-loopback bisect are, for reports. */
export function spliceBenchQuantity(
  pattern: SpliceBenchPattern,
  measure: SpliceMeasure,
): { metric: string; unit: string } {
  if (measure === 'stalls') return { metric: 'stalled time', unit: 'ms/s' };
  return pattern === 'rr'
    ? { metric: 'rr transactions', unit: 'txn/s' }
    : { metric: 'throughput', unit: 'bytes/s' };
}

/**
 * Stalled milliseconds per second of the run. Per second, so runs of different lengths (a
 * hang ends a run early, and a slow lab overruns the duration) compare; capped at 1000
 * because the gaps lie inside the run and only rounding could make them exceed it.
 */
export function stalledMsPerSecond(result: Pick<SpliceBenchResult, 'seconds' | 'stalls'>): number {
  if (!(result.seconds > 0)) return 0;
  return Math.min(MS_PER_SECOND, result.stalls.stalledMs / result.seconds);
}
