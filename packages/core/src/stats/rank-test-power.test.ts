import { describe, expect, it } from 'vitest';
import { mannWhitneyU } from './mann-whitney.js';
import { commitRunsNeeded, normalQuantileAbove, rankTestDetects } from './rank-test-power.js';
import { noisyRuns } from './test-samples.js';

const ALPHA = 0.001;
const POWER = 0.99;

/** Standard normal draws: the logs of `noisyRuns`, scaled to a spread of 1. */
function normals(seed: number, count: number): number[] {
  const sigma = Math.sqrt(Math.log(1 + 0.1 * 0.1));
  return noisyRuns(seed, count, 1, 0.1).map((s) => Math.log(s.value as number) / sigma);
}

describe('normalQuantileAbove', () => {
  it('inverts the normal tail', () => {
    expect(normalQuantileAbove(0.001)).toBeCloseTo(3.090232, 5);
    expect(normalQuantileAbove(0.01)).toBeCloseTo(2.326348, 5);
    expect(normalQuantileAbove(0.5)).toBeCloseTo(0, 9);
    expect(() => normalQuantileAbove(0)).toThrow(RangeError);
  });
});

describe('commitRunsNeeded', () => {
  it('needs few runs for a large shift, about what the exact floor allows', () => {
    // 3 runs below all of 40 reach p = 1/C(43, 3) = 8e-5; the normal model asks one more.
    expect(commitRunsNeeded(50, 40, ALPHA, POWER, 160)).toBeLessThanOrEqual(4);
  });

  it('needs more runs as the shift shrinks, fewer as the baseline runs grow', () => {
    const at40 = [2, 1.5, 1.1, 1].map((s) => commitRunsNeeded(s, 40, ALPHA, POWER, 1000));
    for (let i = 1; i < at40.length; i++) {
      expect(at40[i] as number).toBeGreaterThan(at40[i - 1] as number);
    }
    expect(commitRunsNeeded(1, 160, ALPHA, POWER, 1000)).toBeLessThan(
      commitRunsNeeded(1, 80, ALPHA, POWER, 1000),
    );
  });

  it('needs few runs for baselines infinitely far apart (a hang on one side)', () => {
    // erfc(Infinity) was NaN, so no number of runs detected an infinite shift and such
    // baselines got the raised cap.
    expect(commitRunsNeeded(Number.POSITIVE_INFINITY, 40, ALPHA, POWER, 160)).toBeLessThan(10);
  });

  it('is Infinity where no number of commit runs makes up for too few baseline runs', () => {
    expect(commitRunsNeeded(0.5, 40, ALPHA, POWER, 10_000)).toBe(Number.POSITIVE_INFINITY);
    expect(commitRunsNeeded(0, 160, ALPHA, POWER, 160)).toBe(Number.POSITIVE_INFINITY);
  });

  it('gives a rank test that detects the shift as often as promised (simulated)', () => {
    // Baselines 1.3 spreads apart, less the 15% margin: the shift a verdict at the bad level
    // must see against 40 baseline runs.
    const shift = 0.85 * 1.3;
    const n = commitRunsNeeded(shift, 40, ALPHA, POWER, 160);
    expect(n).toBeGreaterThan(40);
    let detected = 0;
    const trials = 300;
    for (let t = 0; t < trials; t++) {
      const baseline = normals(2 * t + 1, 40);
      const commit = normals(2 * t + 2, n).map((x) => x - shift);
      if (mannWhitneyU(commit, baseline, { alternative: 'less' }).pValue <= ALPHA) detected++;
    }
    expect(detected / trials).toBeGreaterThanOrEqual(0.97);
    // And 40 runs, the old fixed cap, do not.
    expect(rankTestDetects(shift, 40, 40, ALPHA, POWER)).toBe(false);
  });
});
