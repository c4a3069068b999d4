import { bisectState } from './bisect-state.js';
import type { Journal, JournalEntry } from './journal.js';
import type { BisectRange } from './range.js';
import type { Verdict } from './verdict.js';

/**
 * How many times a bisect may correct a verdict that the confirmation re-test overturned and
 * go on (`confirmationRepair`). Two: a re-test that is itself wrong about the right culprit
 * costs one repair that sends the bisect astray and one that brings it back (the next
 * confirmation re-tests the same commit as the new culprit's parent); a third disagreement
 * says the oracle cannot settle the range, and the bisect ends inconclusive as before.
 */
export const MAX_CONFIRMATION_REPAIRS = 2;

/** The re-tests whose commit is in the journal: the culprit's and its first parent's. */
export type CommitRetestCheck = 'culprit-is-bad' | 'parent-is-good';

/**
 * A confirmation re-test with the verdict it measured; a revert's (the bad commit with the
 * culprit reverted) is no commit of the journal and never repairs it.
 */
export interface ConfirmationRetest {
  check: CommitRetestCheck | 'revert-is-good';
  commit: string;
  entry?: JournalEntry;
}

const opposite: Record<CommitRetestCheck, Verdict> = {
  'culprit-is-bad': 'good',
  'parent-is-good': 'bad',
};

const overturns = (
  retest: ConfirmationRetest,
): retest is ConfirmationRetest & { check: CommitRetestCheck; entry: JournalEntry } =>
  retest.check !== 'revert-is-good' && retest.entry?.verdict === opposite[retest.check];

/** Repairs the journal holds already: a bisect resumed from it makes no more than the rest. */
export function confirmationRepairs(journal: Journal): number {
  return journal.filter((entry) => entry.retest !== undefined).length;
}

/**
 * The journal entry that corrects the verdict a failed confirmation overturned, or undefined
 * when the bisect should end inconclusive as it did before repairs. A culprit that measures
 * good again had a false bad verdict; a parent that measures bad, a false good one. Either
 * way the fresh verdict is appended (the latest verdict on a commit supersedes the earlier
 * one), and the bisect goes on from the corrected journal to a culprit that must pass its own
 * confirmation, so a repair never names a culprit that no re-test confirmed. Why: in the noise
 * bench nearly half of the bisects of 3-5% regressions at CV 2-3% that did not name the
 * culprit had it found or nearly found and ended on one false verdict that the re-test caught.
 *
 * No repair when: `MAX_CONFIRMATION_REPAIRS` were made; neither or both re-tests measured the
 * opposite (both: they contradict each other); a re-test was unclear only; the overturned
 * verdict is an endpoint's (the range itself is in doubt); or the corrected journal would
 * contradict itself (the parent measured bad is below another good verdict).
 */
export function confirmationRepair(
  range: BisectRange,
  journal: Journal,
  retests: readonly ConfirmationRetest[],
): JournalEntry | undefined {
  if (confirmationRepairs(journal) >= MAX_CONFIRMATION_REPAIRS) return undefined;
  const overturned = retests.filter(overturns);
  const [retest] = overturned;
  if (retest === undefined || overturned.length > 1) return undefined;
  if (retest.commit === range.bad || range.goods.includes(retest.commit)) return undefined;
  const entry: JournalEntry = { ...retest.entry, retest: retest.check };
  const state = bisectState(range, [...journal, entry]);
  return state.settled === undefined ? entry : undefined;
}
