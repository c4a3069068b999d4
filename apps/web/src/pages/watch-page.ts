import { getJson } from '../api.js';
import { historyChart } from '../charts/history-chart.js';
import { fill, h } from '../dom.js';
import { localTime, measure, pValue, repoName, shortSha } from '../format.js';
import type { WatchRun, WatchView } from '../types.js';
import { every, type PageContext } from './page-context.js';
import { statusBadge } from './status-badge.js';

const REFRESH_MS = 5000;

/** `/ui/watches/:id`: a watch and its nightly history, regressions linked to their bisects. */
export async function watchPage(main: HTMLElement, { signal, param }: PageContext): Promise<void> {
  const base = `/v1/watches/${encodeURIComponent(param)}`;
  const watch = await getJson<WatchView>(base);
  const chart = h('div', { class: 'chart history', id: 'history-chart' });
  const rows = h('tbody', { id: 'run-rows' });
  let destroy = () => {};
  fill(
    main,
    h('h1', {}, 'Watch ', h('span', { class: 'mono' }, watch.id)),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Repository'),
      h('dd', { title: watch.spec.repo }, repoName(watch.spec.repo)),
      h('dt', {}, 'Branch'),
      h('dd', { class: 'mono' }, watch.spec.branch),
      h('dt', {}, 'Schedule'),
      h('dd', { class: 'mono' }, watch.spec.cron),
      h('dt', {}, 'Next run'),
      h('dd', {}, localTime(watch.nextRunAt)),
      h('dt', {}, 'Owner'),
      h('dd', {}, watch.createdBy),
    ),
    h('h2', {}, 'History'),
    h(
      'p',
      { class: 'legend' },
      'median per run, band from lowest to highest sample, dashed: the baseline it was compared with, red rings: regressions',
    ),
    chart,
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'list' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Started', 'Status', 'Commit', 'Median', 'Samples', 'Change', 'p', 'Bisect'].map((n) =>
              h('th', { scope: 'col' }, n),
            ),
          ),
        ),
        rows,
      ),
    ),
  );
  const refresh = async () => {
    const { runs } = await getJson<{ runs: WatchRun[] }>(`${base}/runs`);
    if (signal.aborted) return;
    destroy();
    destroy = historyChart(chart, runs);
    fill(rows, runs.map(runRow));
  };
  await refresh();
  signal.addEventListener('abort', () => destroy());
  every(REFRESH_MS, signal, refresh);
}

function runRow(run: WatchRun): HTMLTableRowElement {
  return h(
    'tr',
    { 'data-run': run.id, 'data-status': run.status },
    h('td', {}, localTime(run.startedAt)),
    h('td', {}, statusBadge(run.status)),
    h('td', { class: 'mono', title: run.subject ?? '' }, shortSha(run.commit)),
    h('td', {}, measure(run.median)),
    h('td', {}, String(run.samples?.length ?? 0)),
    h('td', {}, run.changePercent !== undefined ? `${run.changePercent.toFixed(1)}%` : '—'),
    h('td', {}, pValue(run.pValue)),
    h(
      'td',
      {},
      run.bisectId
        ? h('a', { href: `/ui/bisects/${run.bisectId}` }, run.bisectId)
        : (run.message ?? ''),
    ),
  );
}
