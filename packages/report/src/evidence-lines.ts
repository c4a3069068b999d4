import { hodgesLehmannInterval, hodgesLehmannRatioInterval, median } from '@kbisect/core';
import type { BisectFacts, Comparison } from './bisect-facts.js';
import { evidenceRows } from './evidence-rows.js';
import { formatMeasure } from './format.js';

/**
 * LKP's before/after table: two commits, the change between them, and the spread of each,
 * so a reader sees at once whether the change stands out of the noise. The oracle's measure
 * is the first row; a splice-loopback oracle adds what else its runs saw (evidenceRows).
 */
export function comparisonTable(facts: BisectFacts, c: Comparison): string[] {
  const subject = (sha: string) => facts.commit(sha)?.subject ?? '';
  const cell = (values: readonly number[]) =>
    `${formatMeasure(median(values)).padStart(10)}${spreadOf(values)}`;
  const rows = evidenceRows(c.before.samples, c.after.samples, measureName(facts));
  return [
    'commit:',
    `  ${c.before.sha.slice(0, 10)} ("${subject(c.before.sha)}")`,
    `  ${c.after.sha.slice(0, 10)} ("${subject(c.after.sha)}")`,
    '',
    `${c.before.sha.slice(0, 16).padEnd(16)} ${c.after.sha.slice(0, 27)}`,
    '---------------- ---------------------------',
    '         %stddev     %change         %stddev',
    '             \\          |                \\',
    ...rows.map(
      (row) =>
        `${cell(row.before)}${percentChange(median(row.before), median(row.after)).padStart(12)}${cell(row.after)}  ${row.name}`,
    ),
    '',
    `(medians of ${c.before.values.length} runs of the ${c.before.role === 'parent' ? 'parent' : 'good commit'} ` +
      `and ${c.after.values.length} of the culprit; ± is the relative standard deviation)`,
  ];
}

function measureName(facts: BisectFacts): string {
  const quantity = facts.input.quantity ?? facts.result.quantity;
  return quantity ? `${quantity.metric}${quantity.unit ? ` (${quantity.unit})` : ''}` : 'measure';
}

/** LKP's %change column; from 0 any rise is infinitely many percent, said as such. */
function percentChange(before: number, after: number): string {
  if (before === after) return '0.0%';
  if (before === 0) return after > 0 ? '+Inf%' : '-Inf%';
  return signed(((after - before) / Math.abs(before)) * 100);
}

/**
 * The size of the change with its uncertainty, not only a p-value: for a positive measure
 * (throughput, rates) the Hodges-Lehmann ratio of the culprit to the table's other commit with
 * its 95% interval, read as a percent change; else (stalled ms/s starts at 0) the shift.
 */
export function changeLines(facts: BisectFacts): string[] {
  const c = facts.comparison;
  if (!c) return [];
  const against = c.before.role === 'parent' ? 'parent' : 'good commit';
  const pairs = `${c.after.values.length} x ${c.before.values.length} pairwise`;
  const ratio = hodgesLehmannRatioInterval(c.after.values, c.before.values);
  if (ratio) {
    const pct = (r: number) => signed((r - 1) * 100);
    return [
      `change: ${pct(ratio.shift)} ${measureName(facts)} against the ${against}, ` +
        `95% interval ${pct(ratio.low)} to ${pct(ratio.high)}`,
      `        (Hodges-Lehmann: median of the ${pairs} ratios)`,
    ];
  }
  const interval = hodgesLehmannInterval(c.after.values, c.before.values);
  if (!interval) {
    return [
      `change: too few runs (${c.after.values.length} and ${c.before.values.length}) for a 95% interval against the ${against}`,
    ];
  }
  const value = (x: number) => `${x < 0 ? '-' : '+'}${formatMeasure(Math.abs(x))}`;
  return [
    `shift: ${value(interval.shift)} ${measureName(facts)} against the ${against}, ` +
      `95% interval ${value(interval.low)} to ${value(interval.high)}`,
    `       (Hodges-Lehmann: median of the ${pairs} differences)`,
  ];
}

const signed = (pct: number) => `${pct < 0 ? '-' : '+'}${Math.abs(pct).toFixed(1)}%`;

/** " ±  3%" as LKP prints it, blank with fewer than two runs or a mean of 0. */
function spreadOf(values: readonly number[]): string {
  if (values.length < 2) return '      ';
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (mean === 0) return '      ';
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1);
  const pct = Math.round((Math.sqrt(variance) / Math.abs(mean)) * 100);
  return ` ± ${pct.toString().padStart(2)}%`;
}
