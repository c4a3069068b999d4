import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Alternative, mannWhitneyU, rankTestFloor } from './mann-whitney.js';

const males = [19, 22, 16, 29, 24];
const females = [20, 11, 17, 12];

describe('mannWhitneyU against SciPy', () => {
  // scipy.stats.mannwhitneyu documentation, "Examples" section.
  it('reproduces the documented exact two-sided p-value and U1', () => {
    const r = mannWhitneyU(males, females, { method: 'exact' });
    expect(r.u).toBe(17);
    expect(r.pValue).toBeCloseTo(0.1111111111111111, 14);
  });

  it('reproduces the documented asymptotic p-value with continuity correction', () => {
    const r = mannWhitneyU(males, females, { method: 'asymptotic' });
    expect(r.pValue).toBeCloseTo(0.11134688653314041, 13);
  });

  it('reports the statistic of the first sample, so swapping gives U2 = n1*n2 - U1', () => {
    expect(mannWhitneyU(females, males).u).toBe(3);
  });

  // Further SciPy outputs, as recorded in the statrs crate's test suite.
  it.each<[Alternative, 'exact' | 'asymptotic', boolean, number]>([
    ['less', 'asymptotic', false, 0.95679463351315],
    ['less', 'exact', true, 0.9682539682539683],
    ['greater', 'asymptotic', true, 0.055673443266570206],
  ])(
    "gives SciPy's %s p-value by the %s method (continuity %s)",
    (alternative, method, continuity, p) => {
      expect(mannWhitneyU(males, females, { alternative, method, continuity }).pValue).toBeCloseTo(
        p,
        13,
      );
    },
  );

  it.each<[Alternative, number]>([
    ['greater', 0.23030303030303031],
    ['less', 0.8161616161616161],
    ['two-sided', 0.46060606060606063],
  ])("gives SciPy's exact %s p-value for floats with U = 21", (alternative, p) => {
    const r = mannWhitneyU([5, 2, 7, 8, 9, 3, 11, 12], [1, 6, 10, 4], {
      alternative,
      method: 'exact',
    });
    expect(r.u).toBe(21);
    expect(r.pValue).toBeCloseTo(p, 14);
  });

  it('corrects the variance for ties: U = 1, var = 9/12 (7 - 24/30), z = 3/sqrt(4.65)', () => {
    const r = mannWhitneyU([1, 2, 2], [2, 3, 4], { method: 'asymptotic' });
    expect(r.u).toBe(1);
    expect(r.ties).toBe(true);
    expect(r.z).toBeCloseTo(3 / Math.sqrt(4.65), 12);
    expect(r.pValue).toBeCloseTo(0.16415972847851523, 12);
  });

  it('matches R: wilcox.test(1:3, 4:6, exact = FALSE) gives p = 0.08086', () => {
    expect(mannWhitneyU([1, 2, 3], [4, 5, 6], { method: 'asymptotic' }).pValue).toBeCloseTo(
      0.0808556,
      6,
    );
  });

  it('gives p = 1 when every value is the same', () => {
    expect(mannWhitneyU([1, 1], [1, 1, 1], { method: 'asymptotic' }).pValue).toBe(1);
    expect(mannWhitneyU([1, 1], [1, 1, 1], { method: 'exact' }).pValue).toBe(1);
  });
});

/** The exact p-value by brute force: every way of splitting the pooled values, counted. */
function enumeratedP(x: number[], y: number[], alternative: Alternative): number {
  const pooled = [...x, ...y];
  const uOf = (chosen: number[]) => {
    const rest = pooled.filter((_, i) => !chosen.includes(i));
    let u = 0;
    for (const i of chosen) {
      for (const b of rest)
        u += (pooled[i] as number) > b ? 1 : (pooled[i] as number) === b ? 0.5 : 0;
    }
    return u;
  };
  const observed = uOf(x.map((_, i) => i));
  let ge = 0;
  let le = 0;
  let total = 0;
  const choose = (start: number, chosen: number[]) => {
    if (chosen.length === x.length) {
      const u = uOf(chosen);
      total++;
      if (u >= observed - 1e-9) ge++;
      if (u <= observed + 1e-9) le++;
      return;
    }
    for (let i = start; i < pooled.length; i++) choose(i + 1, [...chosen, i]);
  };
  choose(0, []);
  if (alternative === 'greater') return ge / total;
  if (alternative === 'less') return le / total;
  return Math.min(1, (2 * Math.min(ge, le)) / total);
}

describe('exact distribution', () => {
  const sample = fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 6 });
  const alternative = fc.constantFrom<Alternative>('greater', 'less', 'two-sided');

  it('equals brute-force enumeration of all splits, with and without ties', () => {
    fc.assert(
      fc.property(sample, sample, alternative, (x, y, alt) => {
        const exact = mannWhitneyU(x, y, { alternative: alt, method: 'exact' }).pValue;
        expect(exact).toBeCloseTo(enumeratedP(x, y, alt), 12);
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('equals brute force when the first sample is the larger one (the table is built for the smaller)', () => {
    const x = [3.1, 0.2, 5.5, 7.7, 1.4, 9.9, 2.2];
    const y = [4.4, 6.6];
    for (const alt of ['greater', 'less', 'two-sided'] as const) {
      expect(mannWhitneyU(x, y, { alternative: alt, method: 'exact' }).pValue).toBeCloseTo(
        enumeratedP(x, y, alt),
        12,
      );
    }
  });

  it('handles hung runs (all tied at -Infinity) exactly instead of by the normal approximation', () => {
    const hung = [-Infinity, -Infinity, -Infinity];
    const good = [9.0, 9.1, 9.2, 9.3, 8.9, 9.05];
    const r = mannWhitneyU(hung, good, { alternative: 'less' });
    expect(r.method).toBe('exact');
    expect(r.pValue).toBeCloseTo(1 / 84, 14);
  });

  it('agrees with the normal approximation within 0.005 for 20 + 20 runs', () => {
    const x = Array.from({ length: 20 }, (_, i) => i * 1.1 + 3);
    const y = Array.from({ length: 20 }, (_, i) => i * 0.9);
    const exact = mannWhitneyU(x, y, { alternative: 'greater', method: 'exact' }).pValue;
    const approx = mannWhitneyU(x, y, { alternative: 'greater', method: 'asymptotic' }).pValue;
    expect(Math.abs(exact - approx)).toBeLessThan(0.005);
  });

  it('uses the exact distribution by default while the smaller sample has at most 20 runs', () => {
    const small = [1, 2, 3];
    const large = Array.from({ length: 40 }, (_, i) => i + 10);
    expect(mannWhitneyU(small, large).method).toBe('exact');
    expect(mannWhitneyU(large.slice(0, 21), large.slice(19)).method).toBe('asymptotic');
  });
});

describe('rankTestFloor', () => {
  it('is 1/C(n+m, n): 3 runs against 5 cannot go below 1/56', () => {
    expect(rankTestFloor(3, 5)).toBeCloseTo(1 / 56, 15);
    expect(rankTestFloor(3, 40)).toBeCloseTo(1 / 12341, 15);
  });

  it('is reached by complete separation', () => {
    expect(mannWhitneyU([1, 2, 3], [4, 5, 6, 7, 8], { alternative: 'less' }).pValue).toBeCloseTo(
      rankTestFloor(3, 5),
      15,
    );
  });
});

describe('input checks', () => {
  it('refuses an empty sample and NaN values', () => {
    expect(() => mannWhitneyU([], [1])).toThrow(RangeError);
    expect(() => mannWhitneyU([Number.NaN], [1])).toThrow(/NaN/);
  });
});
