import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidJournal } from './errors/invalid-journal.js';
import { nextStep } from './next-step.js';
import { randomScenario, simulate, verdictOf } from './testing/bisect-scenario.js';
import { ancestorsOf } from './testing/random-history.js';
import { linearRange, marks } from './testing/tiny-range.js';
import { whatIf } from './what-if.js';

const seed = fc.integer({ min: 1, max: 2 ** 31 - 1 });

describe('whatIf', () => {
  it('answers the step that follows each verdict on the commit under test', () => {
    fc.assert(
      fc.property(
        seed,
        fc.integer({ min: 2, max: 400 }),
        fc.integer({ min: 0, max: 8 }),
        (s, n, tested) => {
          const scenario = randomScenario(s, { size: n, skipRate: 0.2 });
          const journal = simulate(scenario, (sha) => verdictOf(scenario, sha)).journal.slice(
            0,
            tested,
          );
          const step = nextStep(scenario.range, journal);
          if (step.kind !== 'test') return;
          const next = whatIf(scenario.range, journal, step.commit);
          const after = (verdict: 'good' | 'bad') =>
            nextStep(scenario.range, [
              ...journal,
              { commit: step.commit, verdict, source: 'oracle' },
            ]);
          expect(next.ifGood).toEqual(after('good'));
          expect(next.ifBad).toEqual(after('bad'));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('builds ahead on the right side: below the commit if it is bad, elsewhere if good', () => {
    fc.assert(
      fc.property(seed, fc.integer({ min: 4, max: 400 }), (s, n) => {
        const scenario = randomScenario(s, { size: n });
        const options = { checkEndpoints: false };
        const step = nextStep(scenario.range, [], options);
        if (step.kind !== 'test') return;
        const below = ancestorsOf(scenario.history.commits, [step.commit]);
        const { ifGood, ifBad } = whatIf(scenario.range, [], step.commit, options);
        if (ifBad.kind === 'test') expect(below.has(ifBad.commit)).toBe(true);
        if (ifGood.kind === 'test') expect(below.has(ifGood.commit)).toBe(false);
        const remaining = (next: typeof ifGood) => (next.kind === 'test' ? next.remaining : 1);
        expect(remaining(ifGood) + remaining(ifBad)).toBeLessThanOrEqual(step.remaining);
      }),
      { numRuns: 60 },
    );
  });

  it('names the culprit on one side when one test is left', () => {
    const range = linearRange(8);
    const journal = marks('c0005:bad c0003:good');
    const step = nextStep(range, journal, { checkEndpoints: false });
    expect(step).toMatchObject({ kind: 'test', commit: 'c0004' });
    expect(whatIf(range, journal, 'c0004', { checkEndpoints: false })).toEqual({
      ifGood: { kind: 'done', result: { kind: 'found', culprit: 'c0005' } },
      ifBad: { kind: 'done', result: { kind: 'found', culprit: 'c0004' } },
    });
  });

  it('rejects a commit outside the range', () => {
    expect(() => whatIf(linearRange(8), [], 'f00d')).toThrow(InvalidJournal);
  });
});
