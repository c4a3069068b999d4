import { describe, expect, it } from 'vitest';
import { culpritWarnings, type FinishedBisect, sameKernel } from './culprit-warnings.js';
import type { Confirmation } from './driver/run-bisect.js';
import type { JournalEntry } from './journal.js';
import { tinyRange } from './testing/tiny-range.js';
import type { Verdict } from './verdict.js';

const text = (hex: string) => `text:${hex.repeat(64 / hex.length)}`;

/** An oracle verdict on a kernel built with `signature` (none: a build command). */
const built = (commit: string, verdict: Verdict, signature?: string): JournalEntry => ({
  commit,
  verdict,
  source: 'oracle',
  evidence: {
    build: { ok: true, seconds: 60, ...(signature ? { signature } : {}) },
    samples: [{ value: verdict === 'bad' ? 1 : 9, seconds: 1 }],
  },
});

const found = (
  culprit: string,
  journal: JournalEntry[],
  confirmations: Confirmation[] = [],
): FinishedBisect => ({ result: { kind: 'found', culprit }, journal, confirmations });

// g is good; c is the first bad commit, b its parent, m the bad endpoint.
const line = tinyRange(
  `
    m c
    c b
    b g
  `,
  { bad: 'm', goods: ['g'] },
);

describe('culpritWarnings', () => {
  it("doubts a culprit whose kernel has the code of its parent's", () => {
    const outcome = found('c', [
      built('m', 'bad', text('9')),
      built('g', 'good', text('1')),
      built('b', 'good', text('1a2b3c4d5e6f')),
      built('c', 'bad', text('1a2b3c4d5e6f')),
    ]);

    expect(culpritWarnings(outcome, line)).toEqual([
      "the culprit's kernel has the same code as its parent's (.text signature 1a2b3c4d5e6f…): " +
        'the commit probably does not change the kernel; suspect the test or noise',
    ]);
  });

  it('doubts the only candidate left by a failed confirmation, which a no-op change explains', () => {
    const journal = [
      built('b', 'good', text('1a2b3c4d5e6f')),
      built('c', 'bad', text('1a2b3c4d5e6f')),
    ];
    const parentIsGood: Confirmation = { check: 'parent-is-good', commit: 'b', passed: false };
    const inconclusive = (candidates: string[], confirmations: Confirmation[]): FinishedBisect => ({
      result: { kind: 'inconclusive', candidates, reason: 'a confirmation failed' },
      journal,
      confirmations,
    });

    expect(culpritWarnings(inconclusive(['c'], [parentIsGood]), line)).toEqual([
      "the only candidate's kernel has the same code as its parent's (.text signature " +
        '1a2b3c4d5e6f…): the commit probably does not change the kernel; suspect the test or noise',
    ]);
    // Skips left several candidates, or no confirmation ran: nothing to single out.
    expect(culpritWarnings(inconclusive(['b', 'c'], [parentIsGood]), line)).toEqual([]);
    expect(culpritWarnings(inconclusive(['c'], []), line)).toEqual([]);
  });

  it('says nothing when the culprit changes the code', () => {
    const outcome = found('c', [built('b', 'good', text('1')), built('c', 'bad', text('2'))]);
    expect(culpritWarnings(outcome, line)).toEqual([]);
  });

  it('says nothing when a signature is missing: a build command makes none', () => {
    expect(culpritWarnings(found('c', [built('b', 'good'), built('c', 'bad')]), line)).toEqual([]);
    expect(
      culpritWarnings(found('c', [built('b', 'good'), built('c', 'bad', text('1'))]), line),
    ).toEqual([]);
    // The parent was never built: its kernel is unknown.
    expect(culpritWarnings(found('c', [built('c', 'bad', text('1'))]), line)).toEqual([]);
  });

  it('finds the parent in the confirmation that re-tested it', () => {
    // The bisect never tested b: only the parent-is-good confirmation built it.
    const parentIsGood: Confirmation = {
      check: 'parent-is-good',
      commit: 'b',
      passed: true,
      entry: built('b', 'good', text('5')),
    };
    const outcome = found('c', [built('c', 'bad', text('5'))], [parentIsGood]);

    expect(culpritWarnings(outcome, line)).toEqual([
      expect.stringContaining("the culprit's kernel has the same code as its parent's"),
    ]);
  });

  it('names the parent of a merge culprit that has the same kernel, and only that one', () => {
    const p2 = 'b'.repeat(40);
    const merge = tinyRange(
      `
        m x
        x p1 ${p2}
        ${p2} g
        p1 g
      `,
      { bad: 'm', goods: ['g'] },
    );
    const withMerge = (signature: string) =>
      found('x', [
        built('p1', 'good', text('1')),
        built(p2, 'good', text('2')),
        built('x', 'bad', signature),
      ]);

    expect(culpritWarnings(withMerge(text('2')), merge)).toEqual([
      `the culprit's kernel has the same code as its parent ${'b'.repeat(12)}'s (parent 2 of 2; ` +
        '.text signature 222222222222…): the merge probably does not change the kernel; ' +
        'suspect the test or noise',
    ]);
    expect(culpritWarnings(withMerge(text('1')), merge)).toEqual([
      expect.stringContaining("its parent p1's (parent 1 of 2; .text signature 111111111111…)"),
    ]);
    expect(culpritWarnings(withMerge(text('3')), merge)).toEqual([]);
  });

  it('says so when only the whole image could be compared', () => {
    const image = `image:${'e'.repeat(64)}`;
    const outcome = found('c', [built('b', 'good', image), built('c', 'bad', image)]);
    expect(culpritWarnings(outcome, line)).toEqual([
      "the culprit's kernel is the same image as its parent's (image sha256 eeeeeeeeeeee…): " +
        'the commit probably does not change the kernel; suspect the test or noise',
    ]);
  });

  it('warns about found culprits only', () => {
    const journal = [built('b', 'good', text('1')), built('c', 'bad', text('1'))];
    const inconclusive: FinishedBisect = {
      result: { kind: 'inconclusive', candidates: ['c'], reason: 'only skipped commits are left' },
      journal,
      confirmations: [],
    };
    expect(culpritWarnings(inconclusive, line)).toEqual([]);
  });
});

describe('sameKernel', () => {
  it('compares signatures, and knows nothing without both', () => {
    expect(sameKernel({ signature: text('1') }, { signature: text('1') })).toBe(true);
    expect(sameKernel({ signature: text('1') }, { signature: text('2') })).toBe(false);
    expect(sameKernel({ signature: text('1') }, {})).toBeUndefined();
    expect(sameKernel(undefined, { signature: text('1') })).toBeUndefined();
  });
});
