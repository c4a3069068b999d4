import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { skipAway } from './skip-away.js';

describe('skipAway', () => {
  it('never picks the bad commit while another commit is left', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 20_000 }), (count) => {
        const ranked = Array.from({ length: count }, (_, i) => i);
        const bad = count - 1;
        const pick = skipAway(ranked, bad);
        expect(pick).not.toBe(bad);
        expect(ranked).toContain(pick);
      }),
    );
  });

  it('picks the bad commit only when it is all that is left', () => {
    expect(skipAway(['bad'], 'bad')).toBe('bad');
  });

  it('leans towards the best splits at the front of the list', () => {
    const picks = Array.from({ length: 2000 }, (_, i) => {
      const count = i + 2;
      return (
        (skipAway(
          Array.from({ length: count }, (_, j) => j),
          count - 1,
        ) as number) / count
      );
    });
    const mean = picks.reduce((a, b) => a + b, 0) / picks.length;
    // index ≈ count·r·sqrt(r) for r uniform on [0, 1): its mean is count·2/5.
    expect(mean).toBeGreaterThan(0.3);
    expect(mean).toBeLessThan(0.5);
  });

  it('depends on the list alone', () => {
    const ranked = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    expect(skipAway(ranked, 'g')).toBe(skipAway([...ranked], 'g'));
  });
});
