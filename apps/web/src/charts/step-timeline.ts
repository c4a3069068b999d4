import { h } from '../dom.js';
import { duration, shortSha } from '../format.js';
import type { JournalEntry } from '../types.js';

/** Where one step's time went: building, deploying (upload, kexec, boot), testing. */
export interface StepTimes {
  build: number;
  deploy: number;
  test: number;
}

export function stepTimes(entry: JournalEntry): StepTimes {
  const evidence = entry.evidence ?? {};
  const build = evidence.build?.seconds ?? 0;
  const deploy = (evidence.samples ?? []).reduce((sum, sample) => {
    const deployment = sample.detail?.deployment as { totalSeconds?: number } | undefined;
    return sum + (deployment?.totalSeconds ?? 0);
  }, 0);
  const sampled = (evidence.samples ?? []).reduce((sum, s) => sum + s.seconds, 0);
  const test = Math.max((evidence.testSeconds ?? sampled) - deploy, 0);
  return { build, deploy, test };
}

/**
 * The step timeline: one row per journal entry, in the order the steps ran, with build,
 * deploy and test as bars on one scale. Each row is a button that shows the step's evidence.
 */
export function stepTimeline(
  journal: readonly JournalEntry[],
  onSelect: (commit: string) => void,
  selected: string | undefined,
): HTMLElement {
  const times = journal.map(stepTimes);
  const longest = Math.max(1, ...times.map((t) => t.build + t.deploy + t.test));
  const rows = journal.map((entry, index) => {
    const t = times[index] as StepTimes;
    const bar = (kind: keyof StepTimes) =>
      t[kind] > 0
        ? h('span', {
            class: `bar bar-${kind}`,
            style: `width:${((t[kind] / longest) * 100).toFixed(2)}%`,
            title: `${kind} ${duration(t[kind])}`,
          })
        : null;
    return h(
      'li',
      {},
      h(
        'button',
        {
          type: 'button',
          class: 'step',
          'data-commit': entry.commit,
          'data-step': index,
          'aria-pressed': selected === entry.commit ? 'true' : 'false',
          onclick: () => onSelect(entry.commit),
        },
        h(
          'span',
          { class: 'step-label mono' },
          `${index + 1}. ${shortSha(entry.commit).slice(0, 10)}`,
        ),
        h('span', { class: `verdict verdict-${entry.verdict}` }, entry.verdict),
        h(
          'span',
          { class: 'bars', 'aria-hidden': 'true' },
          bar('build'),
          bar('deploy'),
          bar('test'),
        ),
        h(
          'span',
          { class: 'step-times' },
          `build ${duration(t.build)} · deploy ${duration(t.deploy)} · test ${duration(t.test)}`,
        ),
      ),
    );
  });
  return h(
    'div',
    {},
    h(
      'p',
      { class: 'legend' },
      h('span', { class: 'key bar-build' }),
      ' build ',
      h('span', { class: 'key bar-deploy' }),
      ' deploy and boot ',
      h('span', { class: 'key bar-test' }),
      ' test',
    ),
    rows.length
      ? h('ol', { class: 'timeline', id: 'step-timeline', 'data-steps': rows.length }, rows)
      : h('p', { class: 'muted', id: 'step-timeline', 'data-steps': 0 }, 'No step recorded yet.'),
  );
}
