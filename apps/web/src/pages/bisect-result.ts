import { download, getText } from '../api.js';
import { h } from '../dom.js';
import { duration, shortSha } from '../format.js';
import type { BisectView } from '../types.js';

/**
 * The result of an ended bisect: the culprit with its subject and author, the effect, the
 * confirmations, the warnings to read before trusting it, the reports and the bisect log.
 */
export function bisectResult(view: BisectView): HTMLElement | null {
  const result = view.result;
  if (!result) return null;
  const base = `/v1/bisects/${encodeURIComponent(view.id)}`;
  const culprit = result.culprit ? view.commits?.find((c) => c.sha === result.culprit) : undefined;
  const log = h('pre', { class: 'log', id: 'bisect-log' }, result.log || '(empty)');
  const copied = h('span', { class: 'muted', 'aria-live': 'polite' });
  const report = h('pre', { class: 'log', id: 'report-text' });
  return h(
    'section',
    { id: 'result', 'aria-labelledby': 'result-title' },
    h('h2', { id: 'result-title' }, 'Result'),
    result.culprit
      ? h(
          'div',
          { class: 'culprit', 'data-culprit': result.culprit },
          h(
            'p',
            {},
            h('strong', {}, 'First bad commit: '),
            h('span', { class: 'mono' }, result.culprit),
          ),
          h('p', {}, result.subject ?? culprit?.subject ?? ''),
          culprit
            ? h(
                'p',
                { class: 'muted' },
                `${culprit.author.name} <${culprit.author.email}> · ${culprit.describe} · ${culprit.authorDate}`,
              )
            : null,
        )
      : h('p', {}, h('strong', {}, result.status), result.reason ? `: ${result.reason}` : ''),
    view.fix
      ? h(
          'p',
          { class: 'fix', 'data-fix': view.fix.commit },
          h('strong', {}, 'Fixed by: '),
          h('span', { class: 'mono' }, shortSha(view.fix.commit)),
          ` ${view.fix.subject} (${view.fix.describe}; recorded by ${view.fix.by})`,
          view.fix.note ? ` — ${view.fix.note}` : '',
        )
      : null,
    result.error ? h('p', { class: 'error' }, result.error) : null,
    result.candidates.length
      ? h(
          'p',
          {},
          'Candidates left: ',
          h('span', { class: 'mono' }, result.candidates.map(shortSha).join(' ')),
        )
      : null,
    result.effect ? h('p', {}, h('strong', {}, 'Effect: '), result.effect) : null,
    h(
      'p',
      { class: 'muted' },
      `${result.steps} tested commits, ${result.oracleRuns} oracle runs`,
      result.seconds
        ? ` · build ${duration(result.seconds.build)}, test ${duration(result.seconds.test)}, total ${duration(result.seconds.total)}`
        : '',
    ),
    result.confirmations?.length
      ? h(
          'div',
          {},
          h('h3', {}, 'Confirmations'),
          h(
            'ul',
            { class: 'confirmations' },
            result.confirmations.map((c) =>
              h(
                'li',
                { 'data-passed': String(c.passed) },
                h('span', { class: c.passed ? 'ok' : 'error' }, c.passed ? '✓ ' : '✗ '),
                c.check,
                c.note ? ` — ${c.note}` : '',
              ),
            ),
          ),
        )
      : null,
    result.warnings?.length
      ? h(
          'div',
          { class: 'warnings', role: 'note' },
          h('h3', {}, 'Warnings'),
          h(
            'ul',
            {},
            result.warnings.map((w) => h('li', {}, w)),
          ),
        )
      : null,
    h(
      'div',
      { class: 'row' },
      h(
        'button',
        {
          type: 'button',
          id: 'show-report',
          onclick: async () => {
            report.textContent = await getText(`${base}/report.txt`);
          },
        },
        'Show report.txt',
      ),
      h(
        'button',
        { type: 'button', onclick: () => download(`${base}/report.txt`, `${view.id}.txt`) },
        'Download report.txt',
      ),
      h(
        'button',
        { type: 'button', onclick: () => download(`${base}/report.xml`, `${view.id}.junit.xml`) },
        'Download JUnit',
      ),
      h(
        'button',
        { type: 'button', onclick: () => download(`${base}/report.md`, `${view.id}.md`) },
        'Download Markdown',
      ),
    ),
    report,
    h(
      'div',
      { class: 'row' },
      h('h3', {}, 'Bisect log'),
      h(
        'button',
        {
          type: 'button',
          id: 'copy-log',
          onclick: async () => {
            await copy(result.log, log);
            copied.textContent = 'copied';
          },
        },
        'Copy',
      ),
      copied,
    ),
    h('p', { class: 'muted small' }, '`git bisect replay` accepts it.'),
    log,
  );
}

/** The clipboard API where the page is a secure context (https, localhost), else a selection. */
async function copy(text: string, element: HTMLElement): Promise<void> {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const selection = getSelection();
  const range = document.createRange();
  range.selectNodeContents(element);
  selection?.removeAllRanges();
  selection?.addRange(range);
  document.execCommand('copy');
}
