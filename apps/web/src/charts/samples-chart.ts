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

const BAND_COLOURS = { good: 'rgba(46, 160, 67, 0.22)', bad: 'rgba(218, 54, 51, 0.22)' };

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
 * The samples chart: one column per tested commit in history order, every sample a dot
 * (a hang a hollow red ring, a build or boot failure an orange dot at the bottom: no sample was
 * taken), the calibration's good and bad ranges as bands, each column's background coloured
 * by its verdict, the decision's p-values and the sample count in the tooltip. Drawn with
 * uPlot; `data-sample-marks` on the element says how many sample dots it drew.
 */
export function samplesChart(container: HTMLElement, input: SamplesChartInput): () => void {
  const { columns, calibration } = input;
  const xs: number[] = [];
  const measured: (number | null)[] = [];
  const hung: (number | null)[] = [];
  const failed: (number | null)[] = [];
  const values = columns.flatMap((c) =>
    c.samples.map(plotted).filter((v): v is number => v !== undefined),
  );
  const range = bounds(values) ?? { min: 0, max: 1 };
  const pad = (range.max - range.min || Math.abs(range.max) || 1) * 0.08;
  const floor = range.min - pad * 0.6;
  let sampleMarks = 0;
  columns.forEach((column, i) => {
    column.samples.forEach((sample, j) => {
      const y = plotted(sample);
      if (y === undefined) return;
      xs.push(i + jitter(j, column.samples.length));
      measured.push(sample.hang ? null : y);
      hung.push(sample.hang ? y : null);
      failed.push(null);
      sampleMarks += 1;
    });
    if (column.samples.length === 0 && column.failure) {
      xs.push(i);
      measured.push(null);
      hung.push(null);
      failed.push(floor);
    }
  });
  // uPlot wants x in ascending order; jitter keeps columns apart, so sorting is stable enough.
  const order = xs.map((_, i) => i).sort((a, b) => (xs[a] as number) - (xs[b] as number));
  const pick = <T>(array: T[]) => order.map((i) => array[i] as T);
  const data: uPlot.AlignedData = [pick(xs), pick(measured), pick(hung), pick(failed)];

  const goodBand = bounds(
    calibration.good
      .filter((s) => !s.hang)
      .map(plotted)
      .filter(isNumber),
  );
  const badBand = bounds(
    calibration.bad
      .filter((s) => !s.hang)
      .map(plotted)
      .filter(isNumber),
  );

  const tooltip = h('div', { class: 'chart-tooltip', role: 'status', hidden: true });
  const plotBox = h('div', { class: 'chart-plot' });
  container.replaceChildren(plotBox, tooltip);
  container.dataset.sampleMarks = String(sampleMarks);
  container.dataset.columns = String(columns.length);

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
      const y1 = u.valToPos(band.max, 'y', true);
      const y2 = u.valToPos(band.min, 'y', true);
      ctx.fillStyle = colour;
      ctx.fillRect(u.bbox.left, y1, u.bbox.width, Math.max(y2 - y1, 2 * devicePixelRatio));
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
      y: { range: () => [floor - pad * 0.6, range.max + pad] },
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
