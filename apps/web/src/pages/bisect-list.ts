import { getJson } from '../api.js';
import { fill, h } from '../dom.js';
import { duration, localTime, repoName, secondsBetween, shortSha } from '../format.js';
import { BISECT_STATUSES, type BisectSummary } from '../types.js';
import { every, type PageContext } from './page-context.js';
import { statusBadge } from './status-badge.js';

const REFRESH_MS = 2000;

/**
 * `/ui/`: every bisect, newest first, filtered by status and label (kept in the page's query
 * string, so a filtered list can be shared), brought up to date every two seconds.
 */
export async function bisectListPage(main: HTMLElement, { signal }: PageContext): Promise<void> {
  const query = new URLSearchParams(location.search);
  const status = h(
    'select',
    { id: 'filter-status', name: 'status' },
    h('option', { value: '' }, 'any'),
    BISECT_STATUSES.map((s) => h('option', { value: s, selected: query.get('status') === s }, s)),
  );
  const label = h('input', {
    id: 'filter-label',
    name: 'label',
    placeholder: 'key=value',
    pattern: '[^=]+=.*',
    value: query.get('label') ?? '',
  });
  const rows = h('tbody', { id: 'bisect-rows' });
  const summary = h('p', { class: 'muted', 'aria-live': 'polite' }, '');
  const filters = h(
    'form',
    {
      class: 'filters',
      role: 'search',
      onsubmit: (event: Event) => {
        event.preventDefault();
        void refresh(true);
      },
    },
    h('label', { for: 'filter-status' }, 'Status'),
    status,
    h('label', { for: 'filter-label' }, 'Label'),
    label,
    h('button', { type: 'submit' }, 'Filter'),
  );
  status.addEventListener('change', () => void refresh(true));
  fill(
    main,
    h('h1', {}, 'Bisects'),
    filters,
    h(
      'table',
      { class: 'list', 'aria-describedby': 'list-caption' },
      h('caption', { id: 'list-caption', class: 'sr-only' }, 'Bisects, newest first'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          [
            'Status',
            'Bisect',
            'Repository',
            'Range',
            'Culprit',
            'Labels',
            'Started',
            'Duration',
          ].map((name) => h('th', { scope: 'col' }, name)),
        ),
      ),
      rows,
    ),
    summary,
  );

  async function refresh(filtersChanged = false): Promise<void> {
    const params = new URLSearchParams();
    if (status.value) params.set('status', status.value);
    if (label.value.trim() && label.checkValidity()) params.set('label', label.value.trim());
    if (filtersChanged) {
      history.replaceState(null, '', `/ui/${params.size ? `?${params}` : ''}`);
    }
    params.set('limit', '100');
    const { bisects } = await getJson<{ bisects: BisectSummary[] }>(`/v1/bisects?${params}`);
    if (signal.aborted) return;
    fill(rows, bisects.map(row));
    if (bisects.length === 0) {
      fill(rows, h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'No bisects match.')));
    }
    summary.textContent = `${bisects.length} shown · updated ${new Date().toLocaleTimeString()}`;
  }

  await refresh();
  every(REFRESH_MS, signal, () => refresh());
}

function row(bisect: BisectSummary): HTMLTableRowElement {
  const start = bisect.startedAt ?? bisect.createdAt;
  return h(
    'tr',
    { 'data-bisect': bisect.id },
    h('td', {}, statusBadge(bisect.status)),
    h('td', {}, h('a', { href: `/ui/bisects/${bisect.id}` }, bisect.id)),
    h('td', { title: bisect.repo }, repoName(bisect.repo)),
    h(
      'td',
      { class: 'mono' },
      `${bisect.range.goods.map(shortSha).join(' ')}..${shortSha(bisect.range.bad)}`,
    ),
    h('td', { class: 'mono' }, bisect.culprit ? shortSha(bisect.culprit) : '—'),
    h(
      'td',
      {},
      Object.entries(bisect.labels ?? {}).map(([k, v]) =>
        h('span', { class: 'chip' }, `${k}=${v}`),
      ),
    ),
    h('td', {}, localTime(start)),
    h('td', {}, duration(secondsBetween(start, bisect.finishedAt))),
  );
}
