import { describe, expect, it } from 'vitest';
import { calibrationLooks, planCalibration } from './calibration-plan.js';
import { NotDistinguishable } from './errors.js';
import { baselinesFarApart } from './statistical-policy.js';
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
});
