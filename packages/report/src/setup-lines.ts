import type { CommitDescription, ResultObject } from '@kbisect/contracts';
import type { JournalEntry } from '@kbisect/core';
import { shortSha } from './format.js';

/**
 * What ran where as "name: value" pairs, the way LKP heads a mail with testcase, machine and
 * parameters: the spec's setup, then what the journal says actually ran (the compiler, the
 * labs, the culprit's kernel). The same pairs in every format: text lines, Markdown rows,
 * JUnit properties.
 */
export function setupLines(
  result: ResultObject,
  entries: readonly JournalEntry[],
  commit: (sha: string) => CommitDescription | undefined,
  endpoints: { bad: string; goods: string[] } | undefined,
): [string, string][] {
  const setup = result.setup;
  const lines: [string, string][] = [];
  const resolved = endpoints
    ? `${endpoints.goods.map((sha) => commit(sha)?.describe ?? shortSha(sha)).join(' ')}..${commit(endpoints.bad)?.describe ?? shortSha(endpoints.bad)}`
    : undefined;
  if (setup) {
    lines.push(['repository', setup.repository]);
    const given = `${setup.range} (good..bad)`;
    lines.push([
      'range',
      resolved && !setup.range.startsWith(resolved) ? `${given}: ${resolved}` : given,
    ]);
    lines.push(['build', setup.build]);
  } else if (resolved) {
    lines.push(['range', `${resolved} (good..bad)`]);
  }
  const compilers = distinct(entries.map((e) => field(e.evidence?.build, 'toolchain')));
  if (compilers.length) lines.push(['compiler', compilers.join(' | ')]);
  if (setup) lines.push(['lab', setup.lab]);
  const labs = distinct(
    entries.flatMap((e) => (e.evidence?.samples ?? []).map((s) => field(s.detail, 'lab'))),
  );
  if (labs.length) lines.push(['machines', labs.join(', ')]);
  const kernel = culpritKernel(result, entries);
  if (kernel) lines.push(['kernel', kernel]);
  if (setup) {
    lines.push(['oracle', setup.oracle], ['decision', setup.decision]);
    if (setup.recipe) lines.push(['recipe', setup.recipe]);
  }
  return lines;
}

/** The lab each commit ran on ("vm-a", "vm-a vm-b" in a pool), for the tested-commits table. */
export function labsOf(entry: JournalEntry): string {
  return distinct((entry.evidence?.samples ?? []).map((s) => field(s.detail, 'lab'))).join(' ');
}

/** The release the culprit's kernel booted as (the bad endpoint's when none was found). */
function culpritKernel(result: ResultObject, entries: readonly JournalEntry[]): string | undefined {
  const sha = result.culprit ?? undefined;
  if (!sha) return undefined;
  const mine = entries.filter((e) => e.commit === sha);
  const releases = distinct([
    ...mine.map((e) => field(e.evidence?.build, 'release')),
    ...mine.flatMap((e) => (e.evidence?.samples ?? []).map((s) => field(s.detail, 'kernel'))),
  ]);
  return releases.length ? `${releases.join(', ')} (culprit)` : undefined;
}

/** A string field of evidence the core types leave open (kernel builds, lab samples). */
function field(object: object | undefined, name: string): string | undefined {
  const value = (object as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

const distinct = (values: readonly (string | undefined)[]) => [
  ...new Set(values.filter((v): v is string => v !== undefined)),
];
