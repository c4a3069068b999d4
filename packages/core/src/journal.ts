import type { CommitRetestCheck } from './confirmation-repair.js';
import type { Evidence } from './evidence.js';
import type { Verdict } from './verdict.js';

/**
 * One line of the journal. The journal is append-only and is the only state of a bisect:
 * every decision of the core is a pure function of (range, journal).
 */
export interface JournalEntry {
  commit: string;
  verdict: Verdict;
  /** Who decided: the oracle pipeline, or a person marking by hand. */
  source: 'oracle' | 'manual';
  /** ISO timestamp; informational only, never used for decisions. */
  at?: string;
  evidence?: Evidence;
  /**
   * The round this entry was tested in, when several commits were tested at once (a pool of
   * labs, local test slots): the journal index of the round's first entry. A round's entries
   * were recorded together in a fixed order (`bestCommits`'), whatever finished first.
   * Absent: a round of one commit.
   */
  round?: number;
  /**
   * A confirmation re-test that measured the opposite of this commit's earlier verdict
   * (`confirmationRepair`): this entry supersedes that verdict and the bisect went on from it.
   * Which check it was: the culprit that measured good, or its parent that measured bad.
   */
  retest?: CommitRetestCheck;
}

export type Journal = readonly JournalEntry[];
