import { describe, expect, it } from 'vitest';
import { InvalidJournal } from './errors/invalid-journal.js';
import { InvalidRange } from './errors/invalid-range.js';
import { nextStep, ONLY_SKIPPED_LEFT } from './next-step.js';
import type { NextStep } from './result.js';
import { linearRange, marks, tinyRange } from './testing/tiny-range.js';

// m merges the side branch s into the main line c; weights: a 1, b 2, s 2, c 3, m 5.
const merged = () =>
  tinyRange(
    `
      m c s
      s a
      c b
      b a
      a g
    `,
    { bad: 'm', goods: ['g'] },
  );

const testing = (step: NextStep) => {
  if (step.kind !== 'test') throw new Error(`expected a test, got ${JSON.stringify(step)}`);
  return step;
};

describe('nextStep endpoints', () => {
  it('asks to test the bad commit first, then each good one, before bisecting', () => {
    const range = { ...merged(), goods: ['g', 'h'] };
    range.commits = range.commits.map((c) => (c.sha === 'b' ? { ...c, parents: ['a', 'h'] } : c));
    expect(nextStep(range, [])).toMatchObject({ kind: 'test', commit: 'm', phase: 'endpoint' });
    expect(nextStep(range, marks('m:bad'))).toMatchObject({ commit: 'g', phase: 'endpoint' });
    expect(nextStep(range, marks('m:bad g:good'))).toMatchObject({
      commit: 'h',
      phase: 'endpoint',
    });
    expect(nextStep(range, marks('m:bad g:good h:good'))).toMatchObject({ phase: 'bisect' });
  });

  it('counts the endpoint tests still to come in stepsLeft', () => {
    const first = testing(nextStep(merged(), []));
    const second = testing(nextStep(merged(), marks('m:bad')));
    const bisecting = testing(nextStep(merged(), marks('m:bad g:good')));
    expect(first.stepsLeft).toBe(second.stepsLeft + 1);
    expect(second.stepsLeft).toBe(bisecting.stepsLeft + 1);
  });

  it('never asks for an endpoint when checkEndpoints is false, as git bisect', () => {
    const step = testing(nextStep(merged(), [], { checkEndpoints: false }));
    expect(step.phase).toBe('bisect');
    expect(['m', 'g']).not.toContain(step.commit);
  });

  it('ends with bad-is-good when the bad commit tests good', () => {
    expect(nextStep(merged(), marks('m:good'))).toEqual({
      kind: 'done',
      result: { kind: 'bad-is-good', commit: 'm' },
    });
  });

  it('ends with good-is-bad when a good commit tests bad', () => {
    expect(nextStep(merged(), marks('m:bad g:bad'))).toEqual({
      kind: 'done',
      result: { kind: 'good-is-bad', commit: 'g' },
    });
  });

  it('judges endpoint verdicts even when endpoints are not checked', () => {
    const step = nextStep(merged(), marks('g:bad'), { checkEndpoints: false });
    expect(step).toMatchObject({ kind: 'done', result: { kind: 'good-is-bad', commit: 'g' } });
  });

  it('is inconclusive, naming no candidate, when the bad commit was skipped', () => {
    const step = nextStep(merged(), marks('m:skip'));
    expect(step).toMatchObject({ kind: 'done', result: { kind: 'inconclusive', candidates: [] } });
    if (step.kind === 'done' && step.result.kind === 'inconclusive') {
      expect(step.result.reason).toMatch(/bad commit m could not be tested/);
    }
  });

  it('carries on when a good commit was skipped, as git never tests it', () => {
    expect(nextStep(merged(), marks('m:bad g:skip'))).toMatchObject({
      kind: 'test',
      phase: 'bisect',
    });
  });

  it('stops asking for the bad commit once a commit below it tested bad', () => {
    expect(nextStep(merged(), marks('c:bad'))).toMatchObject({ commit: 'g', phase: 'endpoint' });
  });
});

describe('nextStep bisecting', () => {
  it('tests the commit that splits the candidates best, the lowest sha on a tie', () => {
    // b, c and s all leave 2 or 3 of the 5 candidates; git's --bisect-all order puts b first.
    expect(nextStep(merged(), [], { checkEndpoints: false })).toEqual({
      kind: 'test',
      commit: 'b',
      phase: 'bisect',
      remaining: 5,
      stepsLeft: 1,
    });
  });

  it('keeps only ancestors of the new bad commit after a bad verdict', () => {
    const step = testing(nextStep(merged(), marks('c:bad'), { checkEndpoints: false }));
    expect(step.remaining).toBe(3);
    // a and b both leave 1 or 2 of c, b, a.
    expect(step.commit).toBe('a');
  });

  it('drops the ancestors of a commit that tested good', () => {
    const step = testing(nextStep(merged(), marks('b:good'), { checkEndpoints: false }));
    expect(step.remaining).toBe(3);
    expect(['c', 's']).toContain(step.commit);
  });

  it('finds the culprit when the current bad commit is the only candidate left', () => {
    expect(nextStep(merged(), marks('m:bad c:bad b:good'), { checkEndpoints: false })).toEqual({
      kind: 'done',
      result: { kind: 'found', culprit: 'c' },
    });
  });

  it('can find a merge as the culprit', () => {
    expect(nextStep(merged(), marks('c:good s:good'), { checkEndpoints: false })).toEqual({
      kind: 'done',
      result: { kind: 'found', culprit: 'm' },
    });
  });

  it('never proposes a skipped commit and moves away from it', () => {
    const step = testing(nextStep(merged(), marks('b:skip'), { checkEndpoints: false }));
    expect(step.commit).not.toBe('b');
    expect(step.remaining).toBe(5);
  });

  it('is inconclusive with the bad commit and the skipped ones when only skipped are left', () => {
    expect(nextStep(merged(), marks('c:bad b:skip a:skip'), { checkEndpoints: false })).toEqual({
      kind: 'done',
      result: { kind: 'inconclusive', candidates: ['c', 'b', 'a'], reason: ONLY_SKIPPED_LEFT },
    });
  });

  it('takes the latest verdict on a commit: a re-test overrides a skip', () => {
    const journal = marks('m:bad c:bad b:skip b:good');
    expect(nextStep(merged(), journal, { checkEndpoints: false })).toMatchObject({
      result: { kind: 'found', culprit: 'c' },
    });
  });

  it('ignores a bad verdict on a commit that is not an ancestor of the current bad one', () => {
    // s is not below c: git keeps one bad commit, so c stays the bad end.
    const step = testing(nextStep(merged(), marks('c:bad s:bad'), { checkEndpoints: false }));
    expect(step.remaining).toBe(3);
  });

  it('is inconclusive when a bad commit is an ancestor of a good one', () => {
    const step = nextStep(merged(), marks('b:bad c:good'), { checkEndpoints: false });
    expect(step).toMatchObject({ kind: 'done', result: { kind: 'inconclusive', candidates: [] } });
    if (step.kind === 'done' && step.result.kind === 'inconclusive') {
      expect(step.result.reason).toMatch(/contradictory verdicts: b is bad .* c, which is good/);
    }
  });

  it('follows only first parents with firstParent, ending on the merge', () => {
    const range = { ...merged(), firstParent: true };
    const first = testing(nextStep(range, [], { checkEndpoints: false }));
    expect(first.remaining).toBe(4);
    expect(nextStep(range, marks('c:good'), { checkEndpoints: false })).toEqual({
      kind: 'done',
      result: { kind: 'found', culprit: 'm' },
    });
  });

  it('answers the same step for the same journal, and for the commits listed in another order', () => {
    const range = linearRange(40);
    const journal = marks('c0020:bad c0010:skip c0015:good');
    const options = { checkEndpoints: false };
    const once = nextStep(range, journal, options);
    expect(once).toMatchObject({ kind: 'test', phase: 'bisect' });
    expect(nextStep(range, journal, options)).toEqual(once);
    const reversed = { ...range, commits: [...range.commits].reverse() };
    expect(nextStep(reversed, journal, options)).toEqual(once);
  });

  it("estimates the steps left the way git's estimate_bisect_steps does for a line", () => {
    for (const n of [1, 2, 3, 4, 5, 8, 100, 1000]) {
      const step = nextStep(linearRange(n), [], { checkEndpoints: false });
      if (step.kind === 'test') {
        expect(step.remaining).toBe(n);
        // After the step, at most ceil(log2 n) - 1 tests remain on a line.
        expect(step.stepsLeft).toBeLessThanOrEqual(Math.ceil(Math.log2(n)) - 1);
        expect(step.stepsLeft).toBeGreaterThanOrEqual(Math.floor(Math.log2(n)) - 1);
      } else {
        expect(n).toBe(1);
      }
    }
  });
});

describe('nextStep validation', () => {
  it('rejects a range whose bad commit is not among the commits', () => {
    expect(() => nextStep({ ...merged(), bad: 'x' }, [])).toThrow(InvalidRange);
    expect(() => nextStep({ ...merged(), bad: 'x' }, [])).toThrow(/bad commit x is not among/);
  });

  it('rejects a range without good commits', () => {
    expect(() => nextStep({ ...merged(), goods: [] }, [])).toThrow(/no good commit/);
  });

  it('rejects a good commit that is inside the range', () => {
    expect(() => nextStep({ ...merged(), goods: ['a'] }, [])).toThrow(/good commit a is among/);
  });

  it('rejects a commit listed twice, a cycle, and a commit the bad one does not reach', () => {
    const twice = merged();
    twice.commits.push({ sha: 'a', parents: ['g'] });
    expect(() => nextStep(twice, [])).toThrow(/listed twice/);
    const cycle = tinyRange('m a\na m', { bad: 'm', goods: ['g'] });
    expect(() => nextStep(cycle, [])).toThrow(/cycle/);
    const stray = tinyRange('m a\na g\nz g', { bad: 'm', goods: ['g'] });
    expect(() => nextStep(stray, [])).toThrow(/commit z is not an ancestor of the bad commit/);
  });

  it('rejects a verdict on a commit outside the range, saying what to do', () => {
    const journal = marks('m:bad q:good');
    expect(() => nextStep(merged(), journal)).toThrow(InvalidJournal);
    expect(() => nextStep(merged(), journal)).toThrow(
      /entry #1: commit "q" is neither in the range .* mark a commit of the range/,
    );
  });

  it('accepts verdicts on the endpoints, which lie outside the range', () => {
    expect(() => nextStep(merged(), marks('g:good m:bad'))).not.toThrow();
  });

  it('rejects an unknown verdict', () => {
    expect(() => nextStep(merged(), marks('a:maybe'))).toThrow(/unknown verdict "maybe"/);
  });
});
