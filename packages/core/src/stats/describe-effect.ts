import type { Direction } from '../decision.js';
import type { Sample } from '../evidence.js';
import { median } from './descriptive.js';
import { relativeChange } from './effect.js';
import { NoSamples } from './errors.js';
import { formatP, formatPercent, formatRatio, formatValue } from './format.js';
import { mannWhitneyU } from './mann-whitney.js';
import { goodness, sampleValues } from './values.js';

/**
 * One line for the final report on the culprit: "-92% (9.1 → 0.7 Gbit/s), p = 1e-4, 7 + 40
 * samples", i.e. the change of the median against the good baseline, the one-sided
 * Mann-Whitney p-value for "the commit is worse", and the commit's + the baseline's sample
 * counts. `metric` names the quantity in front ("throughput -92% ...").
 *
 * When the likelihood ratio decided the culprit (`decidedBy`), it leads: 3 runs against 6
 * can never give the rank test a p below 0.012, which would read as a weak result.
 */
export function describeEffect(
  goodBaseline: readonly Sample[] | readonly number[],
  commitSamples: readonly Sample[],
  direction: Direction,
  unit?: string,
  metric?: string,
  decidedBy?: { logBad: number; threshold: number },
): string {
  const good = goodBaseline.map((s) =>
    typeof s === 'number' ? s : (sampleValues([s], direction)[0] as number),
  );
  const commit = sampleValues(commitSamples, direction);
  if (good.length === 0) throw new NoSamples('no good baseline to compare the commit with');
  if (commit.length === 0) throw new NoSamples('the commit was not measured');
  const from = median(good);
  const to = median(commit);
  const { pValue } = mannWhitneyU(goodness(commit, direction), goodness(good, direction), {
    alternative: 'less',
  });
  const suffix = unit ? ` ${unit}` : '';
  const hang = formatValue(from) === 'hang' || formatValue(to) === 'hang';
  // From 0 (no stalls at all) any rise is infinitely many percent: the two values say it.
  const ratio = relativeChange(from, to);
  const percent = hang || !Number.isFinite(ratio) ? '' : `${formatPercent(ratio)} `;
  const change = `${percent}(${formatValue(from)} → ${formatValue(to)}${formatValue(to) === 'hang' ? '' : suffix})`;
  const confidence = decidedBy
    ? `likelihood ratio ${formatRatio(decidedBy.logBad)} ≥ ${formatRatio(decidedBy.threshold)} (rank test p = ${formatP(pValue)})`
    : `p = ${formatP(pValue)}`;
  const text = `${change}, ${confidence}, ${commit.length} + ${good.length} samples`;
  return metric ? `${metric} ${text}` : text;
}
