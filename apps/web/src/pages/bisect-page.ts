import { getJson, postJson } from '../api.js';
import { columnsOf } from '../charts/columns.js';
import { samplesChart, VERDICT_COLOURS } from '../charts/samples-chart.js';
import { stepTimeline } from '../charts/step-timeline.js';
import { append, fill, h } from '../dom.js';
import { followEvents, type StreamEvent } from '../event-stream.js';
import { shortSha } from '../format.js';
import {
  type BisectView,
  type Caller,
  isTerminal,
  type Progress,
  type TestedCommit,
  type Verdict,
} from '../types.js';
import { bisectActions, bisectFacts } from './bisect-header.js';
import { bisectResult } from './bisect-result.js';
import type { PageContext } from './page-context.js';
import { statusBadge } from './status-badge.js';
import { stepEvidence } from './step-evidence.js';

const LOG_LINES = 300;
/** Events come in bursts (a verdict, its log lines, the next step): one reload per burst. */
const RELOAD_DEBOUNCE_MS = 150;

/**
 * `/ui/bisects/:id`: a bisect, live over its event stream. `step` progress updates the header
 * at once; a verdict, a status or the result reloads the bisect (journal, result), so every
 * part of the page is drawn from the same record the API holds.
 */
export async function bisectPage(main: HTMLElement, { caller, signal, param }: PageContext) {
  const id = param;
  const base = `/v1/bisects/${encodeURIComponent(id)}`;
  let view = await getJson<BisectView>(base);
  let tested = await getJson<{ commits: TestedCommit[] }>(`${base}/tested-commits`);
  let selected: string | undefined;
  /** The last step event seen live: it carries the service's estimate of the time left. */
  let liveStep: Progress | undefined;
  let destroyChart = () => {};

  const header = h('dl', { class: 'facts', id: 'bisect-header' });
  const actions = h('div', { class: 'row actions', id: 'actions' });
  const chart = h('div', { class: 'chart', id: 'samples-chart' });
  const strip = h('div', {
    class: 'columns',
    id: 'chart-columns',
    role: 'group',
    'aria-label': 'Tested commits in history order',
  });
  const timeline = h('div', { id: 'timeline' });
  const evidence = h(
    'div',
    { id: 'evidence', 'aria-live': 'polite' },
    h('p', { class: 'muted' }, 'Select a commit above to see its evidence.'),
  );
  const result = h('div', { id: 'result-box' });
  const log = h('pre', {
    class: 'log live-log',
    id: 'live-log',
    tabindex: 0,
    'aria-label': 'Live log',
  });
  const message = h('p', { class: 'error', role: 'alert', hidden: true });

  fill(
    main,
    h('h1', {}, 'Bisect ', h('span', { class: 'mono' }, id), ' ', h('span', { id: 'status' })),
    message,
    header,
    actions,
    h(
      'section',
      { 'aria-labelledby': 'samples-title' },
      h('h2', { id: 'samples-title' }, 'Samples per tested commit'),
      h(
        'p',
        { class: 'legend' },
        h('span', { class: 'key', style: `background:${VERDICT_COLOURS.good}` }),
        ' good ',
        h('span', { class: 'key', style: `background:${VERDICT_COLOURS.bad}` }),
        ' bad ',
        h('span', { class: 'key', style: `background:${VERDICT_COLOURS.skip}` }),
        ' skip · ',
        h('span', { class: 'dot' }),
        ' sample ',
        h('span', { class: 'dot ring' }),
        ' hang ',
        h('span', { class: 'dot failed' }),
        ' build or boot failed · bands: good and bad calibration',
      ),
      chart,
      strip,
    ),
    h(
      'section',
      { 'aria-labelledby': 'steps-title' },
      h('h2', { id: 'steps-title' }, 'Steps'),
      timeline,
    ),
    h(
      'section',
      { 'aria-labelledby': 'evidence-title' },
      h('h2', { id: 'evidence-title' }, 'Evidence'),
      evidence,
    ),
    result,
    h('section', { 'aria-labelledby': 'log-title' }, h('h2', { id: 'log-title' }, 'Log'), log),
  );

  const select = (commit: string) => {
    selected = commit;
    drawEvidence();
    drawStrip();
    drawTimeline();
    evidence.scrollIntoView({ block: 'nearest' });
  };

  function drawHeader(): void {
    fill(document.getElementById('status') as HTMLElement, statusBadge(view.status));
    fill(header, bisectFacts(view, liveStep ?? view.progress));
  }

  function drawActions(): void {
    fill(actions);
    if (!mayAct(caller, view) || isTerminal(view.status)) return;
    append(
      actions,
      bisectActions(view, (liveStep ?? view.progress)?.commit, {
        cancel: async () => {
          if (!confirm(`Cancel bisect ${id}? Its running build and test stop now.`)) return;
          await act(() => postJson(`${base}/cancel`));
        },
        mark: (commit, verdict) =>
          act(() =>
            postJson(`${base}/verdicts`, { commit, verdict, note: 'marked on the web page' }),
          ),
      }),
    );
  }

  function drawChart(): void {
    destroyChart();
    const columns = columnsOf(tested.commits, view.journal, view.result?.culprit);
    const samplesOf = (shas: string[]) =>
      view.journal.filter((e) => shas.includes(e.commit)).flatMap((e) => e.evidence?.samples ?? []);
    const unit = view.journal
      .flatMap((e) => e.evidence?.samples ?? [])
      .map((s) => s.detail?.unit)
      .find((u): u is string => typeof u === 'string');
    destroyChart = samplesChart(chart, {
      columns,
      calibration: { good: samplesOf(view.range.goods), bad: samplesOf([view.range.bad]) },
      unit,
    });
    drawStrip();
  }

  function drawStrip(): void {
    const columns = columnsOf(tested.commits, view.journal, view.result?.culprit);
    fill(
      strip,
      columns.map((column) =>
        h(
          'button',
          {
            type: 'button',
            class: `column verdict-${column.verdict}${column.culprit ? ' culprit' : ''}`,
            'data-commit': column.sha,
            'data-verdict': column.verdict,
            'data-culprit': column.culprit ? 'true' : undefined,
            'data-samples': column.samples.length,
            'aria-pressed': selected === column.sha ? 'true' : 'false',
            title: `${column.subject} — ${column.verdict}${column.failure ? `, ${column.failure}` : ''}`,
            onclick: () => select(column.sha),
          },
          h('span', { class: 'mono' }, shortSha(column.sha).slice(0, 7)),
          h(
            'span',
            { class: 'small' },
            column.culprit ? `${column.verdict} · culprit` : column.verdict,
          ),
        ),
      ),
    );
  }

  function drawTimeline(): void {
    fill(timeline, stepTimeline(view.journal, select, selected));
  }

  function drawEvidence(): void {
    if (!selected) return;
    const commit = selected;
    const entries = view.journal.filter((e) => e.commit === commit);
    const subject = tested.commits.find((c) => c.sha === commit)?.subject ?? '';
    const canMark = mayAct(caller, view) && !isTerminal(view.status);
    fill(
      evidence,
      stepEvidence(commit, entries, {
        subject,
        ...(canMark
          ? {
              onMark: (verdict: Verdict) =>
                void act(() => postJson(`${base}/verdicts`, { commit, verdict })),
            }
          : {}),
      }),
    );
  }

  function drawAll(): void {
    drawHeader();
    drawActions();
    drawChart();
    drawTimeline();
    drawEvidence();
    fill(result, bisectResult(view));
  }

  async function act(action: () => Promise<unknown>): Promise<void> {
    message.hidden = true;
    try {
      await action();
      await reload();
    } catch (error) {
      message.textContent = (error as Error).message;
      message.hidden = false;
    }
  }

  let reloading: Promise<void> | undefined;
  let again = false;
  async function reload(): Promise<void> {
    if (reloading) {
      again = true;
      return reloading;
    }
    reloading = (async () => {
      do {
        again = false;
        const next = await getJson<BisectView>(base);
        if (next.journal.some((e) => !tested.commits.some((c) => c.sha === e.commit))) {
          tested = await getJson<{ commits: TestedCommit[] }>(`${base}/tested-commits`);
        }
        if (signal.aborted) return;
        view = next;
        drawAll();
      } while (again);
    })().finally(() => {
      reloading = undefined;
    });
    return reloading;
  }

  let timer: ReturnType<typeof setTimeout> | undefined;
  const reloadSoon = () => {
    clearTimeout(timer);
    timer = setTimeout(
      () => void reload().catch((e) => console.warn('reload failed', e)),
      RELOAD_DEBOUNCE_MS,
    );
  };

  const onEvent = (event: StreamEvent) => {
    if (event.type === 'log') {
      const line = event.data as { msg?: string; time?: number };
      const time = line.time ? new Date(line.time).toLocaleTimeString() : '';
      log.append(`${time} ${line.msg ?? ''}\n`);
      while (log.childNodes.length > LOG_LINES) log.firstChild?.remove();
      log.scrollTop = log.scrollHeight;
      return;
    }
    const progress = event.data as { type?: string } & Partial<Progress>;
    if (event.type === 'progress' && progress.type === 'step') {
      const moved = liveStep?.commit !== progress.commit;
      liveStep = { ...(progress as Progress), at: new Date().toISOString() };
      drawHeader();
      if (moved) drawActions();
    }
    // A new step, a verdict (a journal entry; a mark by hand is followed by a new step) or an
    // end changes the record; builds and samples of the step under way do not, and a
    // calibration sends dozens of them.
    const changesRecord =
      event.type === 'progress'
        ? ['step', 'verdict', 'done'].includes(progress.type ?? '')
        : ['status', 'result', 'end'].includes(event.type);
    if (changesRecord) reloadSoon();
  };

  drawAll();
  signal.addEventListener('abort', () => {
    clearTimeout(timer);
    destroyChart();
  });
  void followEvents(id, onEvent, signal);
}

/** Cancel and mark need a write token of the bisect's owner, or an admin token. */
const mayAct = (caller: Caller, view: BisectView) =>
  caller.write && (caller.admin || caller.name === view.submittedBy);
