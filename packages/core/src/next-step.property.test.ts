import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { nextStep } from './next-step.js';
import {
  expectedFirstBad,
  randomScenario,
  simulate,
  verdictOf,
} from './testing/bisect-scenario.js';

const seed = fc.integer({ min: 1, max: 2 ** 31 - 1 });
/** Mostly small histories, some up to 5,000 commits. */
const size = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 64 }) },
  { weight: 3, arbitrary: fc.integer({ min: 65, max: 600 }) },
  { weight: 1, arbitrary: fc.integer({ min: 601, max: 5000 }) },
);

interface Run {
  candidates: number;
  tests: number;
  bound: number;
}
const runs: Run[] = [];

afterAll(() => {
  const buckets = [
    ['1', 1, 1],
    ['2-16', 2, 16],
    ['17-128', 17, 128],
    ['129-1024', 129, 1024],
    ['1025-5100', 1025, 5100],
  ] as const;
  const table = buckets.map(([label, lo, hi]) => {
    const inside = runs.filter((r) => r.candidates >= lo && r.candidates <= hi);
    const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
    return {
      candidates: label,
      runs: inside.length,
      'worst tests': Math.max(0, ...inside.map((r) => r.tests)),
      'mean tests': Number(mean(inside.map((r) => r.tests)).toFixed(2)),
      'mean log2 N': Number(mean(inside.map((r) => Math.log2(r.candidates))).toFixed(2)),
      'worst tests - bound': Math.max(-99, ...inside.map((r) => r.tests - r.bound)),
    };
  });
  console.log('bisect tests with a perfect oracle (bound = ceil(log2 N) + 1)');
  console.table(table);
});

describe('nextStep on random histories with merges', () => {
  it('finds the culprit within ceil(log2 N) + 1 tests with a perfect oracle', () => {
    fc.assert(
      fc.property(seed, size, (s, n) => {
        const scenario = randomScenario(s, { size: n });
        const candidates = scenario.range.commits.length;
        const sim = simulate(scenario, (sha) => verdictOf(scenario, sha), {
          checkEndpoints: false,
        });
        const bound = Math.ceil(Math.log2(candidates)) + 1;
        runs.push({ candidates, tests: sim.bisectTests, bound });
        expect(sim.result).toEqual({ kind: 'found', culprit: scenario.culprit });
        expect(sim.endpointTests).toBe(0);
        expect(sim.bisectTests).toBeLessThanOrEqual(bound);
      }),
      { numRuns: 300 },
    );
  });

  it('tests the bad commit and every good one first when checking endpoints', () => {
    fc.assert(
      fc.property(seed, fc.integer({ min: 1, max: 300 }), (s, n) => {
        const scenario = randomScenario(s, { size: n });
        const candidates = scenario.range.commits.length;
        const sim = simulate(scenario, (sha) => verdictOf(scenario, sha));
        expect(sim.result).toEqual({ kind: 'found', culprit: scenario.culprit });
        expect(sim.endpointTests).toBe(1 + new Set(scenario.range.goods).size);
        expect(sim.bisectTests).toBeLessThanOrEqual(Math.ceil(Math.log2(candidates)) + 1);
      }),
      { numRuns: 60 },
    );
  });

  it('never names a wrong culprit when commits are skipped', () => {
    fc.assert(
      fc.property(
        seed,
        fc.integer({ min: 1, max: 400 }),
        fc.double({ min: 0, max: 0.8, noNaN: true }),
        (s, n, skipRate) => {
          const scenario = randomScenario(s, { size: n, skipRate });
          const sim = simulate(scenario, (sha) => verdictOf(scenario, sha), {
            checkEndpoints: false,
          });
          if (sim.result.kind === 'found') {
            expect(sim.result.culprit).toBe(scenario.culprit);
          } else {
            expect(sim.result.kind).toBe('inconclusive');
            if (sim.result.kind === 'inconclusive') {
              expect(sim.result.candidates).toContain(scenario.culprit);
              // Every other candidate named was skipped: nothing untested is left out.
              for (const sha of sim.result.candidates.slice(1))
                expect(scenario.untestable).toContain(sha);
            }
          }
        },
      ),
      { numRuns: 120 },
    );
  });

  it('finds the first bad commit of the first-parent chain with firstParent', () => {
    fc.assert(
      fc.property(
        seed,
        fc.integer({ min: 1, max: 600 }),
        fc.double({ min: 0, max: 0.4, noNaN: true }),
        (s, n, skipRate) => {
          const scenario = randomScenario(s, { size: n, skipRate, firstParent: true });
          const firstBad = expectedFirstBad(scenario, true);
          const sim = simulate(scenario, (sha) => verdictOf(scenario, sha), {
            checkEndpoints: false,
          });
          if (sim.result.kind === 'found') expect(sim.result.culprit).toBe(firstBad);
          else if (sim.result.kind === 'inconclusive')
            expect(sim.result.candidates).toContain(firstBad);
          else expect.fail(`unexpected ${sim.result.kind}`);
          if (skipRate === 0) expect(sim.result.kind).toBe('found');
        },
      ),
      { numRuns: 80 },
    );
  });

  it('gives the same step whatever the order of the commits in the range', () => {
    fc.assert(
      fc.property(
        seed,
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 0, max: 6 }),
        (s, n, tested) => {
          const scenario = randomScenario(s, { size: n, skipRate: 0.3 });
          const journal = simulate(scenario, (sha) => verdictOf(scenario, sha)).journal.slice(
            0,
            tested,
          );
          const shuffled = [...scenario.range.commits].sort((a, b) => (a.sha < b.sha ? -1 : 1));
          const a = nextStep(scenario.range, journal);
          const b = nextStep({ ...scenario.range, commits: shuffled }, journal);
          if (
            a.kind === 'done' &&
            a.result.kind === 'inconclusive' &&
            b.kind === 'done' &&
            b.result.kind === 'inconclusive'
          ) {
            // Only the listing order of an inconclusive result follows the range's order.
            expect(new Set(b.result.candidates)).toEqual(new Set(a.result.candidates));
          } else {
            expect(b).toEqual(a);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('decides one step on 5,000 commits with merges well under 100 ms', () => {
    const scenario = randomScenario(4242, { size: 5000 });
    const merges = scenario.range.commits.filter((c) => c.parents.length > 1).length;
    for (let i = 0; i < 3; i++) nextStep(scenario.range, [], { checkEndpoints: false });
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      nextStep(scenario.range, [], { checkEndpoints: false });
      times.push(performance.now() - t0);
    }
    times.sort((x, y) => x - y);
    const median = times[5] as number;
    console.log(
      `nextStep on ${scenario.range.commits.length} commits (${merges} merges): ` +
        `median ${median.toFixed(1)} ms, worst ${(times[9] as number).toFixed(1)} ms`,
    );
    expect(median).toBeLessThan(100);
  });
});
