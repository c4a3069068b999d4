import uPlot from 'uplot';
import { h } from '../dom.js';
import { measure, pValues, shortSha } from '../format.js';
import type { Sample } from '../types.js';
import { type Column, plotted } from './columns.js';

/** Verdict colours: the column's background; the legend and the strip under it say the word. */
export const VERDICT_COLOURS = {
  good: 'rgba(46, 160, 67, 0.16)',
  bad: 'rgba(218, 54, 51, 0.18)',
  skip: 'rgba(128, 128, 128, 0.16)',
} as const;

const BAND_COLOURS = { good: 'rgba(26, 127, 55, 0.28)', bad: 'rgba(207, 34, 46, 0.28)' };

export interface SamplesChartInput {
  columns: Column[];
  /** The good and bad endpoints' samples: the calibration the verdicts are judged against. */
  calibration: { good: Sample[]; bad: Sample[] };
  unit: string | undefined;
}

/** Spreads the samples of a column across its width so equal values stay visible apart. */
const jitter = (index: number, count: number) =>
  count <= 1 ? 0 : ((index / (count - 1)) * 2 - 1) * Math.min(0.3, 0.03 * count);

const bounds = (values: number[]) =>
  values.length ? { min: Math.min(...values), max: Math.max(...values) } : undefined;

/**
 * The value axis: logarithmic when every value is positive and they span more than ten times
 * (the rank test compares such samples on a log scale too), else linear. `floor` is where a
 * commit without samples (build or boot failed) is marked, below every sample.
 */
function yScale(values: number[]): { log: boolean; lo: number; hi: number; floor: number } {
  const range = bounds(values) ?? { min: 0, max: 1 };
  if (range.min > 0 && range.max / range.min > 10) {
    // Whole decades, so the ticks read 100, 1000, 10,000.
    const lo = 10 ** Math.floor(Math.log10(range.min / 1.5));
    const hi = 10 ** Math.ceil(Math.log10(range.max * 1.1));
    return { log: true, lo, hi, floor: Math.sqrt(lo * Math.min(range.min, lo * 10)) };
  }
  const pad = (range.max - range.min || Math.abs(range.max) || 1) * 0.08;
  const floor = range.min - pad * 0.6;
  return { log: false, lo: floor - pad * 0.6, hi: range.max + pad, floor };
}

/** 1, 2 and 5 times each power of ten from `lo` to `hi`. */
function logSplits(lo: number, hi: number): number[] {
  const splits: number[] = [];
  for (let decade = lo; decade <= hi; decade *= 10) {
    for (const step of [1, 2, 5]) if (decade * step <= hi) splits.push(decade * step);
  }
  return splits;
}

/** The middle half of a calibration's samples and its median: the band the chart draws. */
function quartiles(values: number[]): { q1: number; median: number; q3: number } | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => {
    const position = (sorted.length - 1) * q;
    const low = sorted[Math.floor(position)] as number;
    const high = sorted[Math.ceil(position)] as number;
    return low + (high - low) * (position - Math.floor(position));
  };
  return { q1: at(0.25), median: at(0.5), q3: at(0.75) };
}

/**
 * The samples chart: one column per tested commit in history order, every sample a dot
 * (a hang a hollow red ring, a build or boot failure an orange dot at the bottom: no sample was
 * taken), the calibration's good and bad middle halves (and medians) as bands, each column's background coloured
 * by its verdict, the decision's p-values and the sample count in the tooltip. Drawn with
 * uPlot; `data-sample-marks` and `data-failure-marks` on the element say how many dots of
 * each it drew.
 */
export function samplesChart(container: HTMLElement, input: SamplesChartInput): () => void {
  const { columns, calibration } = input;
  const xs: number[] = [];
  const measured: (number | null)[] = [];
  const hung: (number | null)[] = [];
  const failed: (number | null)[] = [];
  const values = columns.flatMap((c) =>
    c.samples
      .filter((s) => !s.hang)
      .map(plotted)
      .filter(isNumber),
  );
  const y = yScale(values);
  let sampleMarks = 0;
  let failureMarks = 0;
  columns.forEach((column, i) => {
    column.samples.forEach((sample, j) => {
      const value = plotted(sample);
      if (value === undefined) return;
      xs.push(i + jitter(j, column.samples.length));
      measured.push(sample.hang ? null : value);
      // A hang's value (0 for a rate) has no place on a log scale: it sits at the bottom.
      hung.push(sample.hang ? (y.log ? y.floor : value) : null);
      failed.push(null);
      sampleMarks += 1;
    });
    if (column.samples.length === 0 && column.failure) {
      xs.push(i);
      measured.push(null);
      hung.push(null);
      failed.push(y.floor);
      failureMarks += 1;
    }
  });
  // uPlot wants x in ascending order; jitter keeps columns apart, so sorting is stable enough.
  const order = xs.map((_, i) => i).sort((a, b) => (xs[a] as number) - (xs[b] as number));
  const pick = <T>(array: T[]) => order.map((i) => array[i] as T);
  const data: uPlot.AlignedData = [pick(xs), pick(measured), pick(hung), pick(failed)];

  const goodBand = quartiles(
    calibration.good
      .filter((s) => !s.hang)
      .map(plotted)
      .filter(isNumber),
  );
  const badBand = quartiles(
    calibration.bad
      .filter((s) => !s.hang)
      .map(plotted)
      .filter(isNumber),
  );

  const tooltip = h('div', { class: 'chart-tooltip', role: 'status', hidden: true });
  const plotBox = h('div', { class: 'chart-plot' });
  container.replaceChildren(plotBox, tooltip);
  container.dataset.sampleMarks = String(sampleMarks);
  container.dataset.failureMarks = String(failureMarks);
  container.dataset.columns = String(columns.length);
  plotBox.setAttribute('role', 'img');
  plotBox.setAttribute(
    'aria-label',
    `${sampleMarks} samples of ${columns.length} tested commits in history order; ` +
      'the buttons below the chart open each commit’s evidence',
  );

  const drawBackground = (u: uPlot) => {
    const ctx = u.ctx;
    const { top, height } = u.bbox;
    ctx.save();
    columns.forEach((column, i) => {
      const left = u.valToPos(i - 0.5, 'x', true);
      const right = u.valToPos(i + 0.5, 'x', true);
      ctx.fillStyle = VERDICT_COLOURS[column.verdict];
      ctx.fillRect(left + 1, top, right - left - 2, height);
      if (column.culprit) {
        ctx.strokeStyle = 'rgb(218, 54, 51)';
        ctx.lineWidth = 2 * devicePixelRatio;
        ctx.strokeRect(left + 2, top + 1, right - left - 4, height - 2);
      }
    });
    for (const [band, colour] of [
      [goodBand, BAND_COLOURS.good],
      [badBand, BAND_COLOURS.bad],
    ] as const) {
      if (!band) continue;
      const y1 = u.valToPos(band.q3, 'y', true);
      const y2 = u.valToPos(band.q1, 'y', true);
      ctx.fillStyle = colour;
      ctx.fillRect(u.bbox.left, y1, u.bbox.width, Math.max(y2 - y1, 2 * devicePixelRatio));
      const middle = u.valToPos(band.median, 'y', true);
      ctx.fillRect(u.bbox.left, middle - devicePixelRatio, u.bbox.width, 2 * devicePixelRatio);
    }
    ctx.restore();
  };

  const showTooltip = (u: uPlot) => {
    const left = u.cursor.left ?? -1;
    if (left < 0 || columns.length === 0) {
      tooltip.hidden = true;
      return;
    }
    const index = Math.round(u.posToVal(left, 'x'));
    const column = columns[index];
    if (!column) {
      tooltip.hidden = true;
      return;
    }
    const numbers = column.samples.map(plotted).filter(isNumber);
    const hangs = column.samples.filter((s) => s.hang).length;
    tooltip.replaceChildren(
      h('strong', { class: 'mono' }, shortSha(column.sha)),
      ` ${column.subject}`,
      h('br'),
      `verdict ${column.verdict}${column.culprit ? ' (culprit)' : ''}`,
      h('br'),
      `${column.samples.length} sample${column.samples.length === 1 ? '' : 's'}`,
      hangs ? `, ${hangs} hung` : '',
      numbers.length
        ? `, median ${measure(median(numbers))}${input.unit ? ` ${input.unit}` : ''}`
        : '',
      column.failure ? h('span', {}, h('br'), column.failure) : '',
      column.pValues ? h('span', {}, h('br'), pValues(column.pValues)) : '',
    );
    tooltip.hidden = false;
    const x = Math.min(left + 16, plotBox.clientWidth - 260);
    tooltip.style.transform = `translate(${Math.max(x, 0)}px, 8px)`;
  };

  const options: uPlot.Options = {
    width: Math.max(container.clientWidth, 320),
    height: 300,
    legend: { show: false },
    cursor: { drag: { x: false, y: false }, points: { show: false } },
    scales: {
      x: { time: false, range: () => [-0.5, Math.max(columns.length - 0.5, 0.5)] },
      y: { distr: y.log ? 3 : 1, range: () => [y.lo, y.hi] },
    },
    axes: [
      {
        splits: () => columns.map((_, i) => i),
        values: (_u, splits) => splits.map((i) => shortSha(columns[i]?.sha).slice(0, 7)),
        gap: 4,
      },
      {
        label: input.unit ?? 'value',
        size: 72,
        // On a log scale: a line and a number at 1, 2 and 5 of each decade only.
        ...(y.log ? { splits: () => logSplits(y.lo, y.hi) } : {}),
        values: (_u, splits) => splits.map((v) => measure(v)),
      },
    ],
    series: [
      {},
      {
        label: 'sample',
        stroke: 'rgb(36, 41, 47)',
        paths: () => null,
        points: { show: true, size: 7, width: 1, fill: 'rgb(36, 41, 47)' },
      },
      {
        label: 'hang',
        stroke: 'rgb(180, 20, 20)',
        paths: () => null,
        points: { show: true, size: 11, width: 2.5, fill: '#fff' },
      },
      {
        label: 'no sample: build or boot failed',
        stroke: 'rgb(120, 60, 0)',
        paths: () => null,
        points: { show: true, size: 12, width: 2, fill: 'rgb(240, 170, 60)' },
      },
    ],
    hooks: { drawClear: [drawBackground], setCursor: [showTooltip] },
  };
  const plot = new uPlot(options, data, plotBox);
  const resize = () => plot.setSize({ width: Math.max(container.clientWidth, 320), height: 300 });
  window.addEventListener('resize', resize);
  return () => {
    window.removeEventListener('resize', resize);
    plot.destroy();
  };
}

const isNumber = (v: number | undefined): v is number => v !== undefined;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
