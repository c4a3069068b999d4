import type { Direction } from '../decision.js';
import { median } from './descriptive.js';
import { mannWhitneyU } from './mann-whitney.js';

/** `git bisect run` asks for a skip with this code: a tip that skips has not failed. */
const SKIP_CODE = 125;

/**
 * How a watch tells a regressed tip from its last good run:
 * - `exit-codes`: a command oracle's exit codes; any failure that is not a skip regresses;
 * - `median-drop`: a metric's values; the median is worse by more than `maxDropPercent`
 *   and the one-sided rank test says the tip is worse at `alpha`.
 */
export type TipRegressionRule =
  | { kind: 'exit-codes' }
  | { kind: 'median-drop'; direction: Direction; maxDropPercent: number; alpha: number };

export interface RegressionSinceLastGood {
  regression: boolean;
  /** One line with the figures, for the run history and the notification. */
  summary: string;
  /** Relative change of the median, in percent (±Infinity from a zero median). */
  changePercent?: number;
  pValue?: number;
}

/**
 * Whether tonight's tip regressed since the last good run, from the values of both runs.
 * Two conditions for a metric, because each alone misleads: a drop of the median on noisy,
 * overlapping samples is chance, and a significant shift smaller than the limit is noise a
 * team chose to tolerate.
 */
export function regressionSinceLastGood(
  lastGood: readonly number[],
  tip: readonly number[],
  rule: TipRegressionRule,
): RegressionSinceLastGood {
  if (rule.kind === 'exit-codes') {
    const failed = tip.filter((code) => code !== 0 && code !== SKIP_CODE);
    return failed.length > 0
      ? {
          regression: true,
          summary: `the oracle failed on the tip (exit codes ${failed.join(', ')})`,
        }
      : { regression: false, summary: 'the oracle passes on the tip' };
  }
  const { direction, maxDropPercent, alpha } = rule;
  const m0 = median(lastGood);
  const m1 = median(tip);
  // From a zero median (a stall-free good run: 0 ms/s stalled) any change is unboundedly
  // large relative to it; calling it 0% would hide every regression of a stalls watch.
  const change =
    m0 === 0
      ? m1 === 0
        ? 0
        : Math.sign(m1) * Number.POSITIVE_INFINITY
      : ((m1 - m0) / Math.abs(m0)) * 100;
  const drop = direction === 'higher-is-better' ? -change : change;
  const percent = (x: number) =>
    Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${x.toFixed(1)}%` : `${x > 0 ? '+' : '-'}∞ from 0`;
  // "Greater" on the values turned so that larger is better: the last good run is better.
  const better = (v: readonly number[]) =>
    direction === 'higher-is-better' ? v : v.map((x) => -x);
  const { pValue } = mannWhitneyU(better(lastGood), better(tip), { alternative: 'greater' });
  const regression = drop > maxDropPercent && pValue < alpha;
  const summary =
    `median ${m0} → ${m1} (${percent(change)}, ` +
    `worse by ${Number.isFinite(drop) ? `${drop.toFixed(1)}%` : percent(drop)} against a limit of ${maxDropPercent}%), ` +
    `rank test p = ${pValue.toPrecision(3)} (alpha ${alpha})`;
  return { regression, summary, changePercent: change, pValue };
}
