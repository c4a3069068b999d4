import { InvalidJournal } from './errors/invalid-journal.js';
import { ancestors, type CommitGraph } from './graph.js';
import type { Journal } from './journal.js';
import type { Verdict } from './verdict.js';

/**
 * How one journal entry counts, which is also how the bisect log writes it:
 * - `mark`: a verdict git would record (`git bisect <verdict> <sha>`);
 * - `superseded`: a later entry names the same commit, and the latest verdict wins (a re-test,
 *   a manual correction);
 * - `endpoint`: a verdict on a given endpoint that git has no command for (a good endpoint
 *   tested bad, the bad endpoint tested good or skipped, or re-tested after the bad moved);
 * - `not-below-bad`: a bad verdict on a commit that is not an ancestor of the current bad
 *   commit (tested in parallel, say): git keeps one bad commit, so it cannot narrow the range.
 */
export type EntryUse = 'mark' | 'superseded' | 'endpoint' | 'not-below-bad';

/** What the journal says about the range, read the way `git bisect` reads its refs. */
export interface Marks {
  /** Commits of the range whose verdict is good. */
  readonly goods: readonly number[];
  /** 1 for commits of the range whose verdict is skip. */
  readonly skipped: Uint8Array;
  /** The bad end of the range now: git's `refs/bisect/bad`. */
  readonly currentBad: number;
  /** Latest verdict on `range.bad`, if it was tested. */
  readonly badEndpoint: Verdict | undefined;
  /** Latest verdict on each good endpoint that was tested. */
  readonly goodEndpoints: ReadonlyMap<string, Verdict>;
  /** One per journal entry, in journal order. */
  readonly uses: readonly EntryUse[];
}

const verdicts: ReadonlySet<string> = new Set<Verdict>(['good', 'bad', 'skip']);

/**
 * Reads the journal against the range; throws `InvalidJournal` for an entry that names an
 * unknown commit or verdict. A bad verdict moves the current bad only down to one of its
 * ancestors, as `git bisect bad` does in a well-formed bisect.
 */
export function readMarks(graph: CommitGraph, journal: Journal): Marks {
  const last = new Map<string, number>();
  for (const [i, entry] of journal.entries()) {
    checkEntry(graph, entry.commit, entry.verdict, i);
    last.set(entry.commit, i);
  }

  const goods: number[] = [];
  const skipped = new Uint8Array(graph.shas.length);
  const goodEndpoints = new Map<string, Verdict>();
  const uses: EntryUse[] = [];
  let badEndpoint: Verdict | undefined;
  let currentBad = graph.bad;
  let belowBad: Uint8Array | undefined;

  for (const [i, { commit, verdict }] of journal.entries()) {
    if (last.get(commit) !== i) {
      uses.push('superseded');
      continue;
    }
    if (graph.goods.has(commit)) {
      goodEndpoints.set(commit, verdict);
      uses.push(verdict === 'bad' ? 'endpoint' : 'mark');
      continue;
    }
    const c = graph.index.get(commit) as number;
    if (c === graph.bad) {
      badEndpoint = verdict;
      uses.push(verdict === 'bad' && currentBad === graph.bad ? 'mark' : 'endpoint');
      continue;
    }
    if (verdict === 'good') {
      goods.push(c);
      uses.push('mark');
    } else if (verdict === 'skip') {
      skipped[c] = 1;
      uses.push('mark');
    } else {
      belowBad ??= ancestors(graph, [currentBad]);
      if (belowBad[c]) {
        if (c !== currentBad) belowBad = undefined;
        currentBad = c;
        uses.push('mark');
      } else {
        uses.push('not-below-bad');
      }
    }
  }
  return { goods, skipped, currentBad, badEndpoint, goodEndpoints, uses };
}

function checkEntry(graph: CommitGraph, commit: unknown, verdict: unknown, i: number): void {
  if (typeof verdict !== 'string' || !verdicts.has(verdict)) {
    throw new InvalidJournal(
      `unknown verdict ${JSON.stringify(verdict)}; a verdict is "good", "bad" or "skip"`,
      i,
      typeof commit === 'string' ? commit : undefined,
    );
  }
  if (typeof commit !== 'string' || (!graph.index.has(commit) && !graph.goods.has(commit))) {
    throw new InvalidJournal(
      `commit ${JSON.stringify(commit)} is neither in the range (git rev-list <bad> ^<good>...) ` +
        'nor one of its endpoints, so its verdict says nothing about this bisect; mark a commit ' +
        'of the range by its full sha, or start a new bisect with a range that contains it',
      i,
      typeof commit === 'string' ? commit : undefined,
    );
  }
}
