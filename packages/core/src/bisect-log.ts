import { type BisectState, bisectState } from './bisect-state.js';
import { findCandidates } from './candidates.js';
import { ancestors } from './graph.js';
import type { Journal, JournalEntry } from './journal.js';
import type { EntryUse } from './marks.js';
import { ONLY_SKIPPED_LEFT } from './next-step.js';
import type { BisectRange } from './range.js';
import type { BisectResult } from './result.js';

export interface BisectLogOptions {
  /** Commit subjects by sha, for the `# bad: [sha] subject` lines. */
  subjects?: ReadonlyMap<string, string>;
  /** How the bisect ended, written as the closing comment lines. */
  result?: BisectResult;
}

/**
 * The journal as `git bisect log` prints it, so `git bisect replay` reproduces the bisect
 * and a kernel developer reads it the way they read their own logs. It starts the way
 * `git bisect start [--first-parent] <bad> <good>...` logs itself, which also makes replay
 * check the goods against the bad commit once, with the endpoints, as the original did.
 *
 * Verdicts git has no command for are written as comments, so replay ends on the same
 * commits: superseded verdicts (the latest verdict on a commit wins), endpoint checks that
 * failed, and bad verdicts on commits that are not ancestors of the current bad commit.
 */
export function toBisectLog(
  range: BisectRange,
  journal: Journal,
  options: BisectLogOptions = {},
): string {
  const state = bisectState(range, journal);
  const subject = (sha: string) => options.subjects?.get(sha) ?? '';
  const commit = (sha: string) => `[${sha}] ${subject(sha)}`;
  const lines: string[] = [];

  lines.push(`# bad: ${commit(range.bad)}`);
  for (const good of range.goods) lines.push(`# good: ${commit(good)}`);
  const args = [...(range.firstParent ? ['--first-parent'] : []), range.bad, ...range.goods];
  lines.push(`git bisect start${args.map((arg) => ` ${shellQuote(arg)}`).join('')}`);

  for (const [i, entry] of journal.entries()) {
    lines.push(...entryLines(entry, state.marks.uses[i] ?? 'mark', commit));
  }

  const { result } = options;
  if (result) lines.push(...resultLines(result, commit, () => possibleFirstBad(state)));
  return `${lines.join('\n')}\n`;
}

function entryLines(
  { commit: sha, verdict }: JournalEntry,
  use: EntryUse,
  commit: (sha: string) => string,
): string[] {
  switch (use) {
    case 'mark':
      return [`# ${verdict}: ${commit(sha)}`, `git bisect ${verdict} ${sha}`];
    case 'superseded':
      return [`# superseded by a later verdict: ${verdict}: ${commit(sha)}`];
    case 'endpoint':
      return [`# endpoint check: ${verdict}: ${commit(sha)}`];
    case 'not-below-bad':
      return [`# not an ancestor of the current bad commit: ${verdict}: ${commit(sha)}`];
  }
}

function resultLines(
  result: BisectResult,
  commit: (sha: string) => string,
  possibleFirstBad: () => string[],
): string[] {
  switch (result.kind) {
    case 'found':
      return [`# first bad commit: ${commit(result.culprit)}`];
    case 'inconclusive': {
      const onlySkipped = result.reason === ONLY_SKIPPED_LEFT;
      const possible = onlySkipped ? possibleFirstBad() : result.candidates;
      return [
        onlySkipped ? '# only skipped commits left to test' : `# inconclusive: ${result.reason}`,
        ...possible.map((sha) => `# possible first bad commit: ${commit(sha)}`),
      ];
    }
    case 'good-is-bad':
      return [
        `# good commit tested bad, the range does not hold the regression: ${commit(result.commit)}`,
      ];
    case 'bad-is-good':
      return [
        `# bad commit tested good, the regression does not reproduce: ${commit(result.commit)}`,
      ];
  }
}

/**
 * Git lists every commit of `<bad> ^<good>...` here, walking all parents even in a
 * first-parent bisect (a merge's side branch may hold the first bad commit), in rev-list order.
 */
function possibleFirstBad({ graph, marks }: BisectState): string[] {
  const knownGood = ancestors(graph, marks.goods);
  const { position } = findCandidates(graph, marks.currentBad, knownGood, false);
  return graph.shas.filter((_, c) => position[c] !== -1);
}

/** Git's `sq_quote_buf`: single quotes, with ' and ! taken outside them. */
function shellQuote(arg: string): string {
  return `'${arg.replace(/['!]/g, (c) => `'\\${c}'`)}'`;
}
