import { h } from '../dom.js';
import { duration, localTime, repoName, secondsBetween, shortSha } from '../format.js';
import { type BisectView, isTerminal, type Progress, type Verdict } from '../types.js';

/**
 * What a bisect's header says: status, the current step (phase, commit, candidates and steps
 * left, the service's estimate of the time left), repository, range, owner, start, duration.
 * Every fact has its place from the first draw, so live updates never move the page.
 */
export function bisectFacts(view: BisectView, progress: Progress | undefined): Node[] {
  const running = !isTerminal(view.status);
  const start = view.startedAt ?? view.createdAt;
  const step = running ? progress : undefined;
  const fact = (name: string, key: string, value: string | Node) => [
    h('dt', {}, name),
    h('dd', { 'data-fact': key }, value),
  ];
  return [
    fact(
      'Status',
      'status',
      view.cancelRequested && running ? `${view.status} (cancelling)` : view.status,
    ),
    fact('Phase', 'phase', step ? step.phase : '—'),
    fact('Commit', 'commit', step ? h('span', { class: 'mono' }, shortSha(step.commit)) : '—'),
    fact('Candidates left', 'remaining', String(progress?.remaining ?? view.range.commits)),
    fact('Steps left', 'steps-left', step ? `about ${step.stepsLeft}` : '—'),
    fact(
      'Time left',
      'eta',
      step?.secondsLeft !== undefined ? `about ${duration(step.secondsLeft)}` : '—',
    ),
    fact('Repository', 'repo', h('span', { title: view.spec.repo }, repoName(view.spec.repo))),
    fact(
      'Range',
      'range',
      h(
        'span',
        { class: 'mono' },
        `${view.range.goods.map(shortSha).join(' ')}..${shortSha(view.range.bad)}`,
      ),
    ),
    fact('Owner', 'owner', view.submittedBy),
    fact('Started', 'started', localTime(start)),
    fact('Duration', 'duration', duration(secondsBetween(start, view.finishedAt))),
  ].flat();
}

export interface BisectActionHandlers {
  cancel: () => void;
  mark: (commit: string, verdict: Verdict) => void;
}

/**
 * Cancel, and the commit under test marked by hand: what a person does with a step that hangs
 * or whose answer they know (the coordinator drops the step and decides again). Only for
 * callers who may act on this bisect; the caller checks that.
 */
export function bisectActions(
  view: BisectView,
  underTest: string | undefined,
  handlers: BisectActionHandlers,
): Node[] {
  const cancel = h(
    'button',
    {
      type: 'button',
      id: 'cancel',
      class: 'danger',
      disabled: view.cancelRequested === true,
      onclick: () => handlers.cancel(),
    },
    view.cancelRequested ? 'Cancelling…' : 'Cancel bisect',
  );
  if (!underTest || view.cancelRequested) return [cancel];
  return [
    cancel,
    h(
      'span',
      { class: 'muted' },
      'Mark ',
      h('span', { class: 'mono' }, shortSha(underTest)),
      ' (under test):',
    ),
    ...(['good', 'bad', 'skip'] as const).map((verdict) =>
      h(
        'button',
        {
          type: 'button',
          'data-mark-current': verdict,
          onclick: () => handlers.mark(underTest, verdict),
        },
        verdict,
      ),
    ),
  ];
}
