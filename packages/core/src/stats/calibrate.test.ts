import { describe, expect, it } from 'vitest';
import { calibrate } from './calibrate.js';
import { NoSamples, NotDistinguishable } from './errors.js';
import { HANG_SENTINEL } from './format.js';
import { noisyRuns, runs } from './test-samples.js';

const catchError = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
};

describe('calibrate', () => {
  it('returns both baselines with medians, spreads, p-value, effect and separation', () => {
    const good = noisyRuns(1, 40, 9.1, 0.05);
    const bad = noisyRuns(2, 40, 0.7, 0.05);
    const b = calibrate(good, bad, { direction: 'higher-is-better' });
    expect(b.good).toHaveLength(40);
    expect(b.medians.good).toBeCloseTo(9.1, 0);
    expect(b.medians.bad).toBeCloseTo(0.7, 1);
    expect(b.spreads.good).toBeGreaterThan(0.2);
    expect(b.spreads.good).toBeLessThan(0.8);
    expect(b.effect).toBeCloseTo(-0.92, 2);
    expect(b.pValue).toBeLessThan(1e-10);
    expect(b.separation).toBe(1);
  });

  it('treats a rise as the regression when lower is better', () => {
    const b = calibrate(runs(10, 11, 12, 10.5, 11.5), runs(20, 21, 22, 20.5, 21.5), {
      direction: 'lower-is-better',
    });
    expect(b.effect).toBeCloseTo(0.91, 2);
  });

  it('refuses endpoints whose difference is not significant, quoting both medians and spreads', () => {
    const error = catchError(() =>
      calibrate(noisyRuns(3, 10, 9.1, 0.3), noisyRuns(4, 10, 8.0, 0.3), {
        direction: 'higher-is-better',
      }),
    );
    expect(error).toBeInstanceOf(NotDistinguishable);
    const e = error as NotDistinguishable;
    expect(e.message).toMatch(/rank test p = .* ≥ alpha 0\.01/);
    expect(e.message).toContain(`good median ${Number(e.good.median.toPrecision(2))} ± `);
    expect(e.message).toContain(`bad median ${Number(e.bad.median.toPrecision(2))} ± `);
    expect(e.good.samples).toBe(10);
    expect(e.bad.spread).toBeGreaterThan(0);
  });

  it('says when too few samples make significance impossible', () => {
    const error = catchError(() =>
      calibrate(runs(9, 9.1, 9.2), runs(1, 1.1, 1.2), { direction: 'higher-is-better' }),
    );
    expect((error as Error).message).toMatch(/with 3 \+ 3 samples no p-value can go below 0\.05/);
  });

  it('refuses a difference below the minimum effect even when it is significant', () => {
    const error = catchError(() =>
      calibrate(noisyRuns(5, 40, 10, 0.002), noisyRuns(6, 40, 9.9, 0.002), {
        direction: 'higher-is-better',
      }),
    );
    expect((error as Error).message).toMatch(/differ by -0.9%, less than the minimum effect 2%/);
  });

  it('accepts a small regression that is large against the noise: 3% at a spread of 0.5%', () => {
    // The old fixed floor of 10% refused this; the rank test and the separation accept it.
    const b = calibrate(noisyRuns(5, 40, 10, 0.005), noisyRuns(6, 40, 9.7, 0.005), {
      direction: 'higher-is-better',
    });
    expect(b.effect).toBeCloseTo(-0.03, 2);
    expect(b.separation).toBeGreaterThan(0.99);
  });

  it('refuses a 10% regression that the noise hides, with the minimum effect far below it', () => {
    const error = catchError(() =>
      calibrate(noisyRuns(9, 40, 10, 0.3), noisyRuns(10, 40, 9, 0.3), {
        direction: 'higher-is-better',
      }),
    ) as NotDistinguishable;
    expect(error).toBeInstanceOf(NotDistinguishable);
    expect(error.reason).not.toMatch(/minimum effect/);
  });

  it('splits alpha over the looks of an adaptive calibration and says so', () => {
    // 6 + 6 runs that do not overlap: p = 1/924 ≈ 0.0011, below 0.01 / 4 but not 0.0005 / 1.
    const good = runs(9, 9.1, 9.2, 9.3, 9.4, 9.5);
    const bad = runs(1, 1.1, 1.2, 1.3, 1.4, 1.5);
    expect(calibrate(good, bad, { direction: 'higher-is-better', looks: 4 }).pValue).toBeCloseTo(
      1 / 924,
      6,
    );
    const error = catchError(() =>
      calibrate(runs(9, 9.1, 9.2, 9.3, 9.4), runs(1, 1.1, 1.2, 1.3, 1.4), {
        direction: 'higher-is-better',
        looks: 4,
      }),
    ) as NotDistinguishable;
    expect(error.reason).toMatch(/≥ alpha 0\.01 \/ 4 looks; with 5 \+ 5 samples no p-value/);
  });

  it('refuses a bad endpoint that is better than the good one and points at the direction', () => {
    const error = catchError(() =>
      calibrate(runs(1, 1.1, 1.2, 1.05), runs(9, 9.1, 9.2, 9.05), {
        direction: 'higher-is-better',
      }),
    ) as NotDistinguishable;
    expect(error).toBeInstanceOf(NotDistinguishable);
    expect(error.reason).toMatch(/bad is better than good.*--lower-is-better/);
    expect(error.effect).toBeGreaterThan(0);
  });

  it('refuses endpoints that overlap too much for single commits to be classified', () => {
    // Significant with 40 + 40 runs, 15% apart, yet a good run beats a bad one ~68% of the time.
    const error = catchError(() =>
      calibrate(noisyRuns(7, 40, 10, 0.35), noisyRuns(8, 40, 8.5, 0.35), {
        direction: 'higher-is-better',
        alpha: 0.05,
      }),
    ) as NotDistinguishable;
    expect(error.pValue).toBeLessThan(0.05);
    expect(error.reason).toMatch(/a good run beats a bad run only 68% of the time \(need 70%\)/);
    expect(error.separation).toBeLessThan(0.7);
  });

  it('counts hung runs as the worst value without printing a sentinel', () => {
    const hung = { seconds: 30, hang: true };
    const up = calibrate(runs(9, 9.1, 9.2, 9.3, 9.4), [hung, hung, hung, ...runs(1, 1.2)], {
      direction: 'higher-is-better',
    });
    expect(up.medians.bad).toBe(0);
    expect(up.hangs.bad).toBe(3);

    const down = calibrate(runs(1, 1.1, 1.2, 1.3, 1.4), [hung, hung, hung, ...runs(9, 9.2)], {
      direction: 'lower-is-better',
    });
    expect(down.medians.bad).toBe(HANG_SENTINEL);
    expect(Number.isFinite(down.medians.bad)).toBe(true);
    const error = catchError(() =>
      calibrate([hung, hung, ...runs(1)], runs(1, 1.1, 1.2), { direction: 'lower-is-better' }),
    );
    expect((error as Error).message).toContain('good median hang');
  });

  it('needs samples of both endpoints', () => {
    expect(() => calibrate([], runs(1), { direction: 'higher-is-better' })).toThrow(NoSamples);
  });
});
