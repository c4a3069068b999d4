import { describe, expect, it } from 'vitest';
import { calibrationLooks, planCalibration, reachesLevelByNextLook } from './calibration-plan.js';
import { NotDistinguishable } from './errors.js';
import { baselinesFarApart, baselinesPowerful } from './statistical-policy.js';
import { noisyRuns } from './test-samples.js';

const direction = 'higher-is-better' as const;
const far = noisyRuns(1, 40, 9.1, 0.03);
const collapsed = noisyRuns(2, 40, 0.3, 0.03);
// 10% apart at 3% noise: clear with a dozen runs, but about 3 spreads apart, not 6.
const near = noisyRuns(3, 40, 9.1 * 0.9, 0.03);
const same = noisyRuns(4, 40, 9.1, 0.03);
const first = (samples: typeof far, n: number) => samples.slice(0, n);

describe('calibrationLooks', () => {
  it('doubles from the first look up to the cap, which is always the last look', () => {
    expect(calibrationLooks(40)).toEqual([6, 12, 24, 40]);
    expect(calibrationLooks(12)).toEqual([6, 12]);
    expect(calibrationLooks(6)).toEqual([6]);
    expect(calibrationLooks(4, 4)).toEqual([4]);
    expect(calibrationLooks(100, 5)).toEqual([5, 10, 20, 40, 80, 100]);
    expect(() => calibrationLooks(0)).toThrow(RangeError);
  });

  it('goes on doubling past the cap up to the ceiling', () => {
    expect(calibrationLooks(40, 6, 160)).toEqual([6, 12, 24, 40, 80, 160]);
    expect(calibrationLooks(40, 6, 100)).toEqual([6, 12, 24, 40, 80, 100]);
    expect(() => calibrationLooks(40, 6, 20)).toThrow(RangeError);
  });
});

describe('planCalibration', () => {
  const options = { direction, maxSamples: 40 };

  it('asks for the first look before anything was measured', () => {
    expect(planCalibration([[]], [], options)).toMatchObject({ kind: 'measure', runs: 6, look: 1 });
    // A cap below the first look is the only look.
    expect(planCalibration([[]], [], { direction, maxSamples: 4 })).toMatchObject({
      kind: 'measure',
      runs: 4,
      looks: 1,
    });
  });

  it('stops at the first look when the endpoints are told apart (the old calibration took 40)', () => {
    const step = planCalibration([first(far, 6)], first(collapsed, 6), options);
    expect(step).toMatchObject({ kind: 'calibrated', look: 1, looks: 4 });
    if (step.kind !== 'calibrated') throw new Error('expected baselines');
    expect(step.baselines.good).toHaveLength(6);
    expect(step.baselines.pValue).toBeCloseTo(1 / 924, 6);
  });

  it('goes on to the next look while the endpoints cannot be told apart yet, and refuses at the cap', () => {
    expect(planCalibration([first(far, 6)], first(same, 6), options)).toMatchObject({
      kind: 'measure',
      runs: 12,
      look: 2,
    });
    expect(planCalibration([first(far, 24)], first(same, 24), options)).toMatchObject({
      kind: 'measure',
      runs: 40,
    });
    expect(() => planCalibration([far], same, options)).toThrow(NotDistinguishable);
  });

  it('goes on to the cap when the baselines that differ are not enough for the verdicts to come', () => {
    const enough = (b: Parameters<typeof baselinesFarApart>[0]) => baselinesFarApart(b);
    const at12 = planCalibration([first(far, 12)], first(near, 12), { ...options, enough });
    expect(at12).toMatchObject({ kind: 'measure', runs: 24 });
    expect(planCalibration([far], near, { ...options, enough })).toMatchObject({
      kind: 'calibrated',
      look: 4,
    });
    expect(
      planCalibration([first(far, 6)], first(collapsed, 6), { ...options, enough }),
    ).toMatchObject({ kind: 'calibrated', look: 1 });
  });

  it('brings endpoints with unequal runs (a calibration killed midway) up to the same look', () => {
    // The bad endpoint's batch was recorded, the good one's was not.
    expect(planCalibration([[]], first(collapsed, 6), options)).toMatchObject({
      kind: 'measure',
      runs: 6,
    });
    // Runs past a look (a journal of another cap): the next look that covers them all.
    expect(planCalibration([first(far, 6)], first(collapsed, 8), options)).toMatchObject({
      kind: 'measure',
      runs: 12,
    });
    // More than the cap (calibrated with a larger one): the last look, on what is there.
    expect(planCalibration([far], collapsed, { direction, maxSamples: 20 })).toMatchObject({
      kind: 'calibrated',
      look: 3,
    });
  });

  it('pools the runs of several good endpoints, each measured to the look', () => {
    expect(planCalibration([first(far, 6), []], first(collapsed, 6), options)).toMatchObject({
      kind: 'measure',
      runs: 6,
    });
    const step = planCalibration([first(far, 6), far.slice(6, 12)], first(collapsed, 6), options);
    if (step.kind !== 'calibrated') throw new Error('expected baselines');
    expect(step.baselines.good).toHaveLength(12);
  });

  it('gives the same answer for the same samples, whatever came before (a resumed bisect)', () => {
    const a = planCalibration([first(far, 12)], first(near, 12), options);
    const b = planCalibration([first(far, 12)], first(near, 12), options);
    expect(a).toEqual(b);
  });

  describe('past the cap, for endpoints that differ but are near', () => {
    // 3.5% apart at 3% noise: about one spread, clear to the rank test with 40 runs each,
    // yet too near for it to classify single commits against 40 baseline runs.
    const good = noisyRuns(21, 160, 9.1, 0.03);
    const bad = noisyRuns(22, 160, 9.1 * 0.965, 0.03);
    const near = {
      direction,
      maxSamples: 40,
      ceiling: 160,
      powerful: (b: Parameters<typeof baselinesPowerful>[0]) => baselinesPowerful(b),
    };

    it('measures on to the ceiling while the baselines are not powerful, then calibrates', () => {
      expect(planCalibration([first(good, 40)], first(bad, 40), near)).toMatchObject({
        kind: 'measure',
        runs: 80,
        look: 5,
        looks: 6,
      });
      expect(planCalibration([first(good, 80)], first(bad, 80), near)).toMatchObject({
        kind: 'measure',
        runs: 160,
      });
      const step = planCalibration([good], bad, near);
      expect(step).toMatchObject({ kind: 'calibrated', look: 6 });
      // Without a ceiling the cap is the last look, as before.
      expect(
        planCalibration([first(good, 40)], first(bad, 40), { ...near, ceiling: 40 }),
      ).toMatchObject({ kind: 'calibrated', look: 4, looks: 4 });
    });

    it('measures on past the cap when the rank test sees a difference that a check refused', () => {
      // Significant, but the medians differ by less than a 5% minimum effect.
      const step = planCalibration([first(good, 40)], first(bad, 40), {
        ...near,
        powerful: () => true,
        minEffect: 0.05,
      });
      expect(step).toMatchObject({ kind: 'measure', runs: 80 });
      expect(() => planCalibration([good], bad, { ...near, minEffect: 0.05 })).toThrow(
        NotDistinguishable,
      );
    });

    it('measures on past the cap when a difference not yet at the level would reach it at the next look', () => {
      // 2.5% apart at 3% noise: p = 0.005 at 40 runs each, above 0.01 / 6 looks, so the cap
      // refused them; 160 runs each tell them apart (the noise bench refused 0.75% of its 3-5%
      // regressions at CV 2-3% this way).
      const nearer = noisyRuns(56, 160, 9.1 * 0.975, 0.03);
      expect(planCalibration([first(good, 40)], first(nearer, 40), near)).toMatchObject({
        kind: 'measure',
        runs: 80,
      });
      expect(planCalibration([good], nearer, near)).toMatchObject({ kind: 'calibrated', look: 6 });
    });

    it('refuses at the cap endpoints whose separation is out of reach of the floor', () => {
      // 76% of good runs beat bad ones: more than one standard error (0.065 at 40 runs) below
      // a floor of 0.9, out of reach; within one of a floor of 0.8.
      expect(() =>
        planCalibration([first(good, 40)], first(bad, 40), { ...near, minSeparation: 0.9 }),
      ).toThrow(NotDistinguishable);
      expect(
        planCalibration([first(good, 40)], first(bad, 40), { ...near, minSeparation: 0.8 }),
      ).toMatchObject({ kind: 'measure', runs: 80 });
    });

    it('refuses at the cap endpoints the rank test cannot tell apart', () => {
      expect(() => planCalibration([far], same, near)).toThrow(NotDistinguishable);
    });

    it('measures on past a cap too small for the rank test to reach its level', () => {
      // 5 + 5 runs that do not overlap stop at p = 1/252 = 0.004, above 0.01 / 3 looks.
      const small = { direction, maxSamples: 5, ceiling: 20 };
      expect(planCalibration([first(far, 5)], first(collapsed, 5), small)).toMatchObject({
        kind: 'measure',
        runs: 10,
      });
      expect(planCalibration([first(far, 10)], first(collapsed, 10), small)).toMatchObject({
        kind: 'calibrated',
        look: 2,
      });
      // Endpoints that overlap are refused at that cap, as before.
      expect(() => planCalibration([first(far, 5)], first(same, 5), small)).toThrow(
        NotDistinguishable,
      );
    });
  });
});

describe('reachesLevelByNextLook', () => {
  const level = 0.01 / 6;
  it('holds a p from which the next look reaches the level with chance 0.8, were it real', () => {
    // z_level = 2.94; (2.94 + 0.84 · √(1/2)) · √(1/2) = 2.50 at 40 of 80 runs: p = 0.0063.
    expect(reachesLevelByNextLook(0.006, level, 40, 80)).toBe(true);
    expect(reachesLevelByNextLook(0.0066, level, 40, 80)).toBe(false);
    // Looking further ahead asks less now: (2.94 + 0.84 · √(3/4)) · √(1/4) = 1.83, p = 0.034.
    expect(reachesLevelByNextLook(0.033, level, 40, 160)).toBe(true);
    expect(reachesLevelByNextLook(0.035, level, 40, 160)).toBe(false);
  });

  it('never holds without a later look, nor for a p of 1', () => {
    expect(reachesLevelByNextLook(1e-9, level, 160, 160)).toBe(false);
    expect(reachesLevelByNextLook(1, level, 40, 80)).toBe(false);
  });
});
