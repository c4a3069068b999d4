import { failureOf } from '../charts/columns.js';
import { h } from '../dom.js';
import { duration, measure, pValues, shortSha } from '../format.js';
import { type JournalEntry, pValuesOf, type Sample, type Verdict } from '../types.js';

export interface EvidenceOptions {
  subject: string;
  /** Offered when the token may mark commits of this bisect and it still runs. */
  onMark?: (verdict: Verdict) => void;
}

/**
 * Everything behind a commit's verdicts: the decision, the build (its log tail when it
 * failed), the console tail of a kernel that did not boot, and every sample with the lab and
 * kernel that produced it; for splice-loopback the stall histogram and TCP counters.
 */
export function stepEvidence(
  commit: string,
  entries: readonly JournalEntry[],
  options: EvidenceOptions,
): HTMLElement {
  return h(
    'div',
    { class: 'evidence', 'data-commit': commit },
    h('h3', {}, h('span', { class: 'mono' }, shortSha(commit)), ` ${options.subject}`),
    entries.map((entry, i) => entryEvidence(entry, i, entries.length)),
    options.onMark
      ? h(
          'div',
          { class: 'row actions', role: 'group', 'aria-label': 'Mark this commit' },
          'Mark this commit: ',
          (['good', 'bad', 'skip'] as const).map((verdict) =>
            h(
              'button',
              {
                type: 'button',
                'data-mark': verdict,
                onclick: () => options.onMark?.(verdict),
              },
              verdict,
            ),
          ),
        )
      : null,
  );
}

function entryEvidence(entry: JournalEntry, index: number, count: number): HTMLElement {
  const ev = entry.evidence ?? {};
  const failure = failureOf(entry);
  const p = pValuesOf(ev.decision);
  const [bootFirst, ...consoleLines] = (ev.note ?? '').split('\n');
  return h(
    'section',
    { class: 'entry' },
    h(
      'p',
      {},
      count > 1 ? `Verdict ${index + 1} of ${count}: ` : 'Verdict: ',
      h('span', { class: `verdict verdict-${entry.verdict}` }, entry.verdict),
      entry.source === 'manual' ? ' (marked by hand)' : '',
      entry.retest ? ` (re-test ${entry.retest}: overturns the earlier verdict)` : '',
      ev.skipReason ? ` — skipped: ${ev.skipReason}` : '',
      ev.badReason ? ` — bad: ${ev.badReason}` : '',
    ),
    ev.decision
      ? h('p', {}, `${ev.decision.method}: ${ev.decision.summary}`, p ? ` (${pValues(p)})` : '')
      : null,
    ev.build
      ? h(
          'p',
          {},
          `Build ${ev.build.ok ? 'ok' : ev.build.timedOut ? 'timed out' : 'failed'} in ${duration(ev.build.seconds)}`,
          ev.build.signature
            ? h('span', { class: 'muted' }, ` · ${ev.build.signature.slice(0, 17)}…`)
            : '',
        )
      : null,
    ev.build?.logTail
      ? h(
          'details',
          { open: failure === 'build failed' },
          h('summary', {}, 'Build log (tail)'),
          h('pre', { class: 'log', 'data-log': 'build' }, ev.build.logTail),
        )
      : null,
    failure === 'boot failed'
      ? h(
          'div',
          {},
          h('p', {}, bootFirst ?? 'boot failed'),
          consoleLines.length
            ? h(
                'details',
                { open: true },
                h('summary', {}, 'Console (tail)'),
                h('pre', { class: 'log', 'data-log': 'console' }, consoleLines.join('\n')),
              )
            : null,
        )
      : ev.note
        ? h('p', {}, ev.note)
        : null,
    ev.samples?.length ? samplesTable(ev.samples) : null,
  );
}

function samplesTable(samples: readonly Sample[]): HTMLElement {
  const splice = samples.some((s) => s.detail?.tool === 'splice-bench');
  const header = ['#', 'value', 'seconds', 'lab', 'kernel', 'deploy'];
  if (splice) header.push('stalls', 'longest gap', 'retransmits', 'delayed ACKs', 'rcv MSS');
  else header.push('output');
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: 'samples' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          header.map((name) => h('th', { scope: 'col' }, name)),
        ),
      ),
      h(
        'tbody',
        {},
        samples.map((sample, i) => {
          const d = sample.detail ?? {};
          const deployment = d.deployment as { totalSeconds?: number } | undefined;
          const cells: (string | HTMLElement)[] = [
            String(i + 1),
            sample.hang
              ? 'hang'
              : sample.value !== undefined
                ? `${measure(sample.value)}${typeof d.unit === 'string' ? ` ${d.unit}` : ''}`
                : `exit ${sample.exitCode ?? '—'}`,
            duration(sample.seconds),
            typeof d.lab === 'string' ? d.lab : 'worker host',
            typeof d.kernel === 'string' ? d.kernel : '—',
            deployment?.totalSeconds !== undefined ? duration(deployment.totalSeconds) : '—',
          ];
          if (splice) {
            const stalls = d.stalls as
              | { count: number; longestGapMs: number; buckets: Record<string, number> }
              | undefined;
            cells.push(
              stalls ? histogram(stalls.count, stalls.buckets) : '—',
              stalls ? `${stalls.longestGapMs} ms` : '—',
              counter(d.retransmits),
              counter(d.delayedAcks),
              counter(d.rcvMss),
            );
          } else {
            cells.push(typeof d.outputTail === 'string' ? h('code', {}, d.outputTail) : '');
          }
          return h(
            'tr',
            { class: sample.hang ? 'hang' : '' },
            cells.map((c) => h('td', {}, c)),
          );
        }),
      ),
    ),
  );
}

const counter = (value: unknown) => (typeof value === 'number' ? String(value) : '—');

/** The stall histogram of one run as small bars, one per gap-length bucket. */
function histogram(count: number, buckets: Record<string, number>): HTMLElement {
  const most = Math.max(1, ...Object.values(buckets));
  return h(
    'span',
    { class: 'histogram', title: `${count} stalls` },
    `${count} `,
    Object.entries(buckets).map(([bucket, n]) =>
      h(
        'span',
        { class: 'hbar', title: `${bucket}: ${n}` },
        h('span', { style: `height:${Math.round((n / most) * 100)}%` }),
      ),
    ),
  );
}
