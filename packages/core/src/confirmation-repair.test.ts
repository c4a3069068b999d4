import { describe, expect, it } from 'vitest';
import {
  type ConfirmationRetest,
  confirmationRepair,
  MAX_CONFIRMATION_REPAIRS,
} from './confirmation-repair.js';
import type { JournalEntry } from './journal.js';
import { nextStep } from './next-step.js';
import { marks, tinyRange } from './testing/tiny-range.js';
import type { Verdict } from './verdict.js';

// g ← a ← b ← c ← d ← m ← e (bad), and a side branch s off b that m merges.
const range = tinyRange(
  `
  e m
  m d s
  s b
  d c
  c b
  b a
  a g
`,
  { bad: 'e', goods: ['g'] },
);
const measured = (commit: string, verdict: Verdict): JournalEntry => ({
  commit,
  verdict,
  source: 'oracle',
});
const retest = (
  check: ConfirmationRetest['check'],
  commit: string,
  verdict: Verdict,
): ConfirmationRetest => ({ check, commit, entry: measured(commit, verdict) });

// The bisect named c: c and d bad, b good.
const journal = marks('e:bad g:good c:bad b:good');

describe('confirmationRepair', () => {
  it('appends the culprit measured good, and the bisect goes on above it', () => {
    const repair = confirmationRepair(range, journal, [
      retest('culprit-is-bad', 'c', 'good'),
      retest('parent-is-good', 'b', 'good'),
    ]);
    expect(repair).toEqual({ ...measured('c', 'good'), retest: 'culprit-is-bad' });
    const step = nextStep(range, [...journal, repair as JournalEntry]);
    expect(step).toMatchObject({ kind: 'test', phase: 'bisect' });
    expect(step.kind === 'test' && ['d', 'm', 's'].includes(step.commit)).toBe(true);
  });

  it('appends the parent measured bad, and the bisect goes on below it', () => {
    const repair = confirmationRepair(range, journal, [
      retest('culprit-is-bad', 'c', 'bad'),
      retest('parent-is-good', 'b', 'bad'),
    ]);
    expect(repair).toEqual({ ...measured('b', 'bad'), retest: 'parent-is-good' });
    expect(nextStep(range, [...journal, repair as JournalEntry])).toMatchObject({
      kind: 'test',
      commit: 'a',
    });
  });

  it('makes no repair when both re-tests overturn their verdicts, or none does', () => {
    const both = [retest('culprit-is-bad', 'c', 'good'), retest('parent-is-good', 'b', 'bad')];
    expect(confirmationRepair(range, journal, both)).toBeUndefined();
    const unclear = [retest('culprit-is-bad', 'c', 'skip'), retest('parent-is-good', 'b', 'good')];
    expect(confirmationRepair(range, journal, unclear)).toBeUndefined();
    const reverted = [
      { check: 'revert-is-good', commit: 'e', entry: measured('e', 'bad') },
    ] as const;
    expect(confirmationRepair(range, journal, reverted)).toBeUndefined();
  });

  it('leaves an endpoint that measures the other way to end the bisect as before', () => {
    // The culprit is the bad endpoint, or its parent the good one.
    const atEnds = marks('e:bad g:good a:bad');
    expect(
      confirmationRepair(range, atEnds, [retest('parent-is-good', 'g', 'bad')]),
    ).toBeUndefined();
    expect(
      confirmationRepair(range, marks('e:bad g:good m:good d:good'), [
        retest('culprit-is-bad', 'e', 'good'),
      ]),
    ).toBeUndefined();
  });

  it('makes no repair that would leave the journal contradicting itself', () => {
    // b is below s, which measured good: b bad would be bad below a good commit.
    const below = marks('e:bad g:good s:good c:bad b:good');
    expect(
      confirmationRepair(range, below, [
        retest('culprit-is-bad', 'c', 'bad'),
        retest('parent-is-good', 'b', 'bad'),
      ]),
    ).toBeUndefined();
  });

  it('makes at most MAX_CONFIRMATION_REPAIRS, counted in the journal so a resumed bisect does too', () => {
    const repaired: JournalEntry[] = [...journal];
    for (let i = 0; i < MAX_CONFIRMATION_REPAIRS; i++) {
      repaired.push({ ...measured('a', 'good'), retest: 'culprit-is-bad' });
    }
    expect(
      confirmationRepair(range, repaired, [retest('culprit-is-bad', 'c', 'good')]),
    ).toBeUndefined();
    expect(
      confirmationRepair(range, repaired.slice(0, -1), [retest('culprit-is-bad', 'c', 'good')]),
    ).toMatchObject({ commit: 'c', verdict: 'good' });
  });
});
