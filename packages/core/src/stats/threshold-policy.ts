import type { Decision, DecisionPolicy, Direction } from '../decision.js';
import type { Sample } from '../evidence.js';
import { median } from './descriptive.js';
import { NoSamples } from './errors.js';
import { formatValue } from './format.js';
import { countHangs, sampleValues } from './values.js';

export interface ThresholdPolicyOptions {
  threshold: number;
  direction: Direction;
  /** Runs per commit; the verdict compares their median with the threshold (default 1). */
  samples?: number;
}

/**
 * The explicit `--threshold` mode: what a `git bisect run` script with a cut-off does. A value
 * exactly at the threshold counts as good, so a threshold set at the good level stays good.
 */
export function thresholdPolicy(options: ThresholdPolicyOptions): DecisionPolicy {
  const { threshold, direction, samples: initialSamples = 1 } = options;
  if (!Number.isFinite(threshold))
    throw new RangeError(`threshold must be a finite number, got ${threshold}`);
  if (!Number.isInteger(initialSamples) || initialSamples < 1) {
    throw new RangeError(`samples must be a positive integer, got ${initialSamples}`);
  }
  return {
    initialSamples,
    decide(samples: readonly Sample[]): Decision {
      if (samples.length === 0) throw new NoSamples('the commit was not measured');
      const values = sampleValues(samples, direction);
      const m = median(values);
      const hangs = countHangs(samples);
      const bad = direction === 'higher-is-better' ? m < threshold : m > threshold;
      const relation = bad
        ? direction === 'higher-is-better'
          ? 'below'
          : 'above'
        : direction === 'higher-is-better'
          ? 'at or above'
          : 'at or below';
      const what =
        values.length === 1 ? formatValue(m) : `median ${formatValue(m)} of ${values.length}`;
      const hangNote = hangs > 0 ? ` (${hangs} hung)` : '';
      return {
        kind: 'verdict',
        verdict: bad ? 'bad' : 'good',
        evidence: {
          method: 'threshold',
          summary: `${what}${hangNote} ${relation} threshold ${formatValue(threshold)}`,
          samples: values,
          median: m,
          threshold,
          direction,
          hangs,
        },
      };
    },
  };
}
