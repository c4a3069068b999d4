import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bisectState } from './bisect-state.js';
import { randomScenario } from './testing/bisect-scenario.js';
import { ancestorsOf } from './testing/random-history.js';

describe('bisectionWeights', () => {
  it('gives each candidate the number of candidates among its ancestors, itself included', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 300 }),
        (seed, size) => {
          const { range, history } = randomScenario(seed, { size });
          const { graph, candidates, weights } = bisectState(range, []);
          const inRange = new Set(range.commits.map((c) => c.sha));
          expect(candidates.order.length).toBe(inRange.size);
          for (const [pos, c] of candidates.order.entries()) {
            const sha = graph.shas[c] as string;
            const below = [...ancestorsOf(history.commits, [sha])].filter((a) => inRange.has(a));
            expect(weights[pos]).toBe(below.length);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('counts positions along the chain when following first parents', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 300 }),
        (seed, size) => {
          const { range } = randomScenario(seed, { size, firstParent: true });
          const { graph, candidates, weights } = bisectState(range, []);
          const chain = [...candidates.order].map((c) => graph.shas[c]);
          for (const [pos, sha] of chain.entries()) {
            const node = range.commits.find((c) => c.sha === sha);
            if (pos > 0) expect(node?.parents[0]).toBe(chain[pos - 1]);
            expect(weights[pos]).toBe(pos + 1);
          }
          expect(chain.at(-1)).toBe(range.bad);
        },
      ),
      { numRuns: 40 },
    );
  });
});
