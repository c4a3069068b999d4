import uPlot from 'uplot';
import { h } from '../dom.js';
import { measure } from '../format.js';
import type { WatchRun } from '../types.js';

/**
 * A watch's nightly history: per measured run its median (line and dots) and spread (the
 * band from its lowest to its highest sample), the baseline it was compared with, and
 * regressions as red rings. `data-runs` and `data-regressions` on the element say how many
 * runs and regressions it drew.
 */
export function historyChart(container: HTMLElement, runs: readonly WatchRun[]): () => void {
  const measured = runs
    .filter((r) => r.median !== undefined)
    .sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
  const data: uPlot.AlignedData = [
    measured.map((_, i) => i),
    measured.map((r) => r.median ?? null),
    measured.map((r) => (r.samples?.length ? Math.min(...r.samples) : null)),
    measured.map((r) => (r.samples?.length ? Math.max(...r.samples) : null)),
    measured.map((r) => r.baseline?.median ?? null),
    measured.map((r) => (r.status === 'regression' ? (r.median ?? null) : null)),
  ];
  const plotBox = h('div', { class: 'chart-plot' });
  container.replaceChildren(plotBox);
  container.dataset.runs = String(measured.length);
  container.dataset.regressions = String(measured.filter((r) => r.status === 'regression').length);
  const label = (i: number) => {
    const run = measured[i];
    return run
      ? new Date(run.startedAt).toLocaleString(undefined, {
          dateStyle: 'short',
          timeStyle: 'short',
        })
      : '';
  };
  const options: uPlot.Options = {
    width: Math.max(container.clientWidth, 320),
    height: 260,
    legend: { show: false },
    scales: { x: { time: false, range: () => [-0.5, Math.max(measured.length - 0.5, 0.5)] } },
    axes: [
      {
        splits: () =>
          measured.map((_, i) => i).filter((i) => i % Math.ceil(measured.length / 8) === 0),
        values: (_u, splits) => splits.map(label),
      },
      { size: 72, values: (_u, splits) => splits.map((v) => measure(v)) },
    ],
    series: [
      { label: 'run', value: (_u, i) => (i === null ? '—' : label(i)) },
      { label: 'median', stroke: 'rgb(9, 105, 218)', width: 2, points: { show: true, size: 7 } },
      { label: 'lowest', stroke: 'rgba(9, 105, 218, 0.35)', width: 1 },
      { label: 'highest', stroke: 'rgba(9, 105, 218, 0.35)', width: 1 },
      { label: 'baseline', stroke: 'rgb(46, 160, 67)', dash: [6, 4], width: 1.5 },
      {
        label: 'regression',
        stroke: 'rgb(218, 54, 51)',
        paths: () => null,
        points: { show: true, size: 14, width: 3, fill: 'rgba(0,0,0,0)' },
      },
    ],
    bands: [{ series: [3, 2], fill: 'rgba(9, 105, 218, 0.12)' }],
  };
  const plot = new uPlot(options, data, plotBox);
  const resize = () => plot.setSize({ width: Math.max(container.clientWidth, 320), height: 260 });
  window.addEventListener('resize', resize);
  return () => {
    window.removeEventListener('resize', resize);
    plot.destroy();
  };
}
