import 'uplot/dist/uPlot.min.css';
import './style.css';
import { session } from './api.js';
import { askForToken, forgetToken, storeToken } from './auth.js';
import { fill, h } from './dom.js';
import { bisectListPage } from './pages/bisect-list.js';
import { bisectPage } from './pages/bisect-page.js';
import type { PageContext } from './pages/page-context.js';
import { watchListPage } from './pages/watch-list.js';
import { watchPage } from './pages/watch-page.js';

type Page = (main: HTMLElement, context: PageContext) => Promise<void>;

/** The dashboard's paths under /ui/ and the page each one draws. */
const ROUTES: [RegExp, Page, string][] = [
  [/^\/ui\/?$/, bisectListPage, 'bisects'],
  [/^\/ui\/bisects\/([A-Za-z0-9_-]+)$/, bisectPage, 'bisects'],
  [/^\/ui\/watches\/?$/, watchListPage, 'watches'],
  [/^\/ui\/watches\/([A-Za-z0-9_-]+)$/, watchPage, 'watches'],
];

let current: AbortController | undefined;

async function show(): Promise<void> {
  current?.abort();
  const controller = new AbortController();
  current = controller;
  const main = document.getElementById('main') as HTMLElement;
  const caller = await session();
  showCaller(caller.authenticated ? caller : undefined);
  const path = location.pathname;
  for (const [pattern, page, section] of ROUTES) {
    const match = pattern.exec(path);
    if (!match) continue;
    for (const link of document.querySelectorAll<HTMLAnchorElement>('[data-nav]')) {
      if (link.dataset.nav === section) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    try {
      await page(main, { caller, signal: controller.signal, param: match[1] ?? '' });
    } catch (error) {
      if (controller.signal.aborted) return;
      fill(main, h('p', { class: 'error', role: 'alert' }, (error as Error).message));
    }
    return;
  }
  fill(main, h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '/ui/' }, 'All bisects')));
}

function showCaller(caller: { name: string; write: boolean; admin: boolean } | undefined): void {
  const who = document.getElementById('who') as HTMLElement;
  if (!caller) {
    // Reads are open here: a token is needed only to act, so it is asked for on request.
    fill(
      who,
      h('span', {}, 'reading without a token'),
      h(
        'button',
        {
          type: 'button',
          class: 'link',
          id: 'give-token',
          onclick: async () => {
            storeToken(await askForToken('A token lets you cancel and mark your bisects.'));
            await show();
          },
        },
        'Give a token',
      ),
    );
    return;
  }
  const rights = caller.admin ? 'admin' : caller.write ? 'may write' : 'read-only';
  fill(
    who,
    h('span', { 'data-caller': caller.name }, `token “${caller.name}” (${rights})`),
    h(
      'button',
      {
        type: 'button',
        class: 'link',
        onclick: () => {
          forgetToken();
          location.reload();
        },
      },
      'Forget token',
    ),
  );
}

/** Links inside the dashboard change the page without reloading it. */
document.addEventListener('click', (event) => {
  const link = (event.target as Element).closest?.('a');
  if (!link || link.target || link.hasAttribute('download')) return;
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith('/ui')) return;
  event.preventDefault();
  history.pushState(null, '', url.pathname + url.search);
  void show().then(() => (document.getElementById('main') as HTMLElement).focus());
});
window.addEventListener('popstate', () => void show());
void show();
