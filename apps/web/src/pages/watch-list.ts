import { getJson } from '../api.js';
import { fill, h } from '../dom.js';
import { localTime, repoName } from '../format.js';
import type { WatchView } from '../types.js';
import type { PageContext } from './page-context.js';

/** `/ui/watches`: every watch with its branch, schedule and owner. */
export async function watchListPage(main: HTMLElement, _context: PageContext): Promise<void> {
  const { watches } = await getJson<{ watches: WatchView[] }>('/v1/watches');
  fill(
    main,
    h('h1', {}, 'Watches'),
    watches.length === 0
      ? h('p', { class: 'muted' }, 'No watches. POST /v1/watches makes one (docs/service.md).')
      : h(
          'table',
          { class: 'list' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Watch', 'Repository', 'Branch', 'Schedule', 'Next run', 'Last good', 'Owner'].map(
                (n) => h('th', { scope: 'col' }, n),
              ),
            ),
          ),
          h(
            'tbody',
            {},
            watches.map((w) =>
              h(
                'tr',
                { 'data-watch': w.id },
                h('td', {}, h('a', { href: `/ui/watches/${w.id}` }, w.id)),
                h('td', { title: w.spec.repo }, repoName(w.spec.repo)),
                h('td', { class: 'mono' }, w.spec.branch),
                h('td', { class: 'mono' }, w.spec.cron),
                h('td', {}, localTime(w.nextRunAt)),
                h('td', {}, w.lastGood ? localTime(w.lastGood.at) : '—'),
                h('td', {}, w.createdBy),
              ),
            ),
          ),
        ),
  );
}
