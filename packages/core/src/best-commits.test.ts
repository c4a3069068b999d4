import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { bestCommits } from './best-commits.js';
import type { JournalEntry } from './journal.js';
import { nextStep } from './next-step.js';
import { randomScenario, simulate, verdictOf } from './testing/bisect-scenario.js';
import { ancestorsOf } from './testing/random-history.js';
import { linearRange, marks } from './testing/tiny-range.js';

const seed = fc.integer({ min: 1, max: 2 ** 31 - 1 });
const rounds = new Map<number, { excess: number[]; rounds: number[] }>();

afterAll(() => {
  console.log('rounds with k labs and a perfect oracle (ideal = ceil(log_(k+1) N))');
  console.table(
    [...rounds].map(([k, r]) => ({
      k,
      runs: r.rounds.length,
      'mean rounds': Number((r.rounds.reduce((a, b) => a + b, 0) / r.rounds.length).toFixed(2)),
      'worst rounds - ideal': Math.max(...r.excess),
      'mean rounds - ideal': Number(
        (r.excess.reduce((a, b) => a + b, 0) / r.excess.length).toFixed(2),
      ),
    })),
  );
});

describe('bestCommits', () => {
  it('splits a line of commits into k + 1 parts of equal size, give or take one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 3000 }), fc.integer({ min: 1, max: 9 }), (n, k) => {
        const range = linearRange(n);
        const picks = bestCommits(range, [], k, { checkEndpoints: false });
        expect(picks).toHaveLength(Math.min(k, n - 1));
        // On a line, commit ci has i candidates at or below it.
        const cuts = [0, ...picks.map((sha) => Number(sha.slice(1))), n];
        const parts = cuts.slice(1).map((cut, i) => cut - (cuts[i] as number));
        expect(Math.max(...parts) - Math.min(...parts)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it("is nextStep's commit for one lab when nothing is skipped", () => {
    fc.assert(
      fc.property(
        seed,
        fc.integer({ min: 2, max: 400 }),
        fc.integer({ min: 0, max: 5 }),
        (s, n, tested) => {
          const scenario = randomScenario(s, { size: n });
          const options = { checkEndpoints: false };
          const journal = simulate(
            scenario,
            (sha) => verdictOf(scenario, sha),
            options,
          ).journal.slice(0, tested);
          const step = nextStep(scenario.range, journal, options);
          const picks = bestCommits(scenario.range, journal, 1, options);
          expect(picks).toEqual(step.kind === 'test' ? [step.commit] : []);
        },
      ),
      { numRuns: 80 },
    );
  });

  it('picks distinct candidates that were neither skipped nor already known bad', () => {
    fc.assert(
      fc.property(
        seed,
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 1, max: 12 }),
        (s, n, k) => {
          const scenario = randomScenario(s, { size: n, skipRate: 0.3 });
          const journal = simulate(scenario, (sha) => verdictOf(scenario, sha)).journal.slice(0, 6);
          const picks = bestCommits(scenario.range, journal, k, { checkEndpoints: false });
          const tested = new Set(journal.map((e) => e.commit));
          expect(new Set(picks).size).toBe(picks.length);
          expect(picks.length).toBeLessThanOrEqual(k);
          for (const sha of picks) {
            expect(tested.has(sha)).toBe(false);
            expect(sha).not.toBe(scenario.range.bad);
          }
        },
      ),
      { numRuns: 80 },
    );
  });

  it('lists the endpoints still to confirm first', () => {
    const range = linearRange(100);
    expect(bestCommits(range, [], 3).slice(0, 2)).toEqual([range.bad, ...range.goods]);
    expect(bestCommits(range, marks('c0100:bad'), 1)).toEqual(range.goods);
  });

  it('is empty once the bisect is over', () => {
    expect(bestCommits(linearRange(10), marks('c0010:good'), 3)).toEqual([]);
    expect(bestCommits(linearRange(1), [], 3, { checkEndpoints: false })).toEqual([]);
  });

  it('refuses a number of labs that is not a whole number', () => {
    expect(() => bestCommits(linearRange(10), [], 1.5)).toThrow(RangeError);
  });

  it('finds the culprit in about log_(k+1) N rounds of k tests', () => {
    for (const k of [1, 2, 3, 7]) {
      fc.assert(
        fc.property(seed, fc.integer({ min: 2, max: 2000 }), (s, n) => {
          const scenario = randomScenario(s, { size: n });
          const options = { checkEndpoints: false };
          const journal: JournalEntry[] = [];
          let round = 0;
          for (
            let step = nextStep(scenario.range, journal, options);
            step.kind === 'test';
            round++
          ) {
            for (const commit of bestCommits(scenario.range, journal, k, options)) {
              journal.push({ commit, verdict: verdictOf(scenario, commit), source: 'oracle' });
            }
            step = nextStep(scenario.range, journal, options);
          }
          const result = nextStep(scenario.range, journal, options);
          expect(result).toEqual({
            kind: 'done',
            result: { kind: 'found', culprit: scenario.culprit },
          });
          const candidates = scenario.range.commits.length;
          const ideal = Math.ceil(Math.log(candidates) / Math.log(k + 1) - 1e-9);
          const r = rounds.get(k) ?? { excess: [], rounds: [] };
          r.rounds.push(round);
          r.excess.push(round - ideal);
          rounds.set(k, r);
          expect(round).toBeLessThanOrEqual(ideal + 1);
        }),
        { numRuns: 40 },
      );
    }
  });

  it('splits a history with merges so that either verdict drops a good share of it', () => {
    fc.assert(
      fc.property(seed, fc.integer({ min: 50, max: 400 }), (s, n) => {
        const scenario = randomScenario(s, { size: n });
        const [pick] = bestCommits(scenario.range, [], 1, { checkEndpoints: false });
        const inRange = new Set(scenario.range.commits.map((c) => c.sha));
        const below = [...ancestorsOf(scenario.history.commits, [pick as string])].filter((a) =>
          inRange.has(a),
        );
        // The best split of a history with merges can be worse than half, never trivial.
        expect(below.length).toBeGreaterThan(0);
        expect(below.length).toBeLessThan(inRange.size);
      }),
      { numRuns: 30 },
    );
  });
});
