import {
  type JournalEntry,
  type PValues,
  pValuesOf,
  type Sample,
  type TestedCommit,
  type Verdict,
} from '../types.js';

/** One tested commit as the samples chart shows it: a column in history order. */
export interface Column {
  sha: string;
  subject: string;
  place: TestedCommit['place'] | 'unknown';
  /** The commit's last verdict (a later manual mark overrides an earlier oracle verdict). */
  verdict: Verdict;
  culprit: boolean;
  entries: JournalEntry[];
  samples: Sample[];
  /** Why no samples could be taken, when none could. */
  failure?: 'build failed' | 'boot failed';
  pValues?: PValues;
}

export const failureOf = (entry: JournalEntry): Column['failure'] => {
  const evidence = entry.evidence;
  if (!evidence) return undefined;
  if (evidence.build && !evidence.build.ok) return 'build failed';
  if (evidence.skipReason === 'boot-failed' || evidence.badReason === 'boot-failed') {
    return 'boot failed';
  }
  return undefined;
};

/**
 * The journal grouped by commit, in history order (`GET /v1/bisects/:id/tested-commits`); a
 * commit the journal has and the order does not yet (a step recorded a moment ago) goes last.
 */
export function columnsOf(
  tested: readonly TestedCommit[],
  journal: readonly JournalEntry[],
  culprit: string | null | undefined,
): Column[] {
  const order = tested.map((c) => c.sha);
  for (const entry of journal) if (!order.includes(entry.commit)) order.push(entry.commit);
  const described = new Map(tested.map((c) => [c.sha, c]));
  return order.flatMap((sha) => {
    const entries = journal.filter((e) => e.commit === sha);
    const last = entries.at(-1);
    if (!last) return [];
    const failure = entries.map(failureOf).find((f) => f !== undefined);
    const pValues = entries
      .map((e) => pValuesOf(e.evidence?.decision))
      .filter((p) => p !== undefined)
      .at(-1);
    return [
      {
        sha,
        subject: described.get(sha)?.subject ?? '',
        place: described.get(sha)?.place ?? 'unknown',
        verdict: last.verdict,
        culprit: sha === culprit,
        entries,
        samples: entries.flatMap((e) => e.evidence?.samples ?? []),
        ...(failure ? { failure } : {}),
        ...(pValues ? { pValues } : {}),
      },
    ];
  });
}

/** What a sample shows on the chart: its number, or its exit code for exit-code oracles. */
export const plotted = (sample: Sample): number | undefined =>
  sample.value ?? sample.exitCode ?? undefined;
