import type { Calibration, DecisionPolicy, RankTestEvidence, Sample } from '@kbisect/core';
import type { OracleSpec } from '@kbisect/oracle';
import { describe, expect, it } from 'vitest';
import { decisionSetup } from '../spec-to-env.js';
import { directionOf, directionProblems, oracleDirection } from './oracle-direction.js';

/** The policy a calibration derives from these endpoint samples, which must be enough. */
function calibrated(calibration: Calibration | undefined, good: Sample[], bad: Sample[]) {
  const plan = calibration?.plan([good], bad);
  if (plan?.kind !== 'policy') throw new Error(`expected a policy, got ${JSON.stringify(plan)}`);
  return plan.policy satisfies DecisionPolicy;
}

const stalls: OracleSpec = { kind: 'splice-loopback', measure: 'stalls' };
const rate: OracleSpec = { kind: 'splice-loopback' };
const metric: OracleSpec = { kind: 'metric', command: './lbench' };
const runs = (...values: number[]): Sample[] => values.map((value) => ({ value, seconds: 3 }));

describe('the direction of a bisect', () => {
  it("is splice-loopback's own: its rate higher-is-better, its stalled time lower-is-better", () => {
    expect(oracleDirection(rate)).toBe('higher-is-better');
    expect(oracleDirection({ ...rate, measure: 'rate' })).toBe('higher-is-better');
    expect(oracleDirection(stalls)).toBe('lower-is-better');
    expect(oracleDirection(metric)).toBeUndefined();
    expect(directionOf(stalls)).toBe('lower-is-better');
    expect(directionOf(stalls, { direction: 'lower-is-better' })).toBe('lower-is-better');
    expect(directionOf(metric, { direction: 'lower-is-better' })).toBe('lower-is-better');
    expect(directionOf(metric)).toBe('higher-is-better');
  });

  it('refuses a decision.direction against the measure, naming the field', () => {
    const [problem] = directionProblems({
      oracle: stalls,
      decision: { direction: 'higher-is-better' },
    });
    expect(problem?.path).toBe('/decision/direction');
    expect(problem?.message).toMatch(
      /^decision\.direction "higher-is-better" contradicts oracle\.measure "stalls"/,
    );
    expect(directionProblems({ oracle: rate, decision: { direction: 'lower-is-better' } })).toEqual(
      [expect.objectContaining({ message: expect.stringMatching(/set oracle\.measure "stalls"/) })],
    );
    expect(directionProblems({ oracle: stalls })).toEqual([]);
    expect(
      directionProblems({ oracle: metric, decision: { direction: 'lower-is-better' } }),
    ).toEqual([]);
    // A stored spec that says otherwise must not run the wrong way.
    expect(() => decisionSetup(stalls, { direction: 'higher-is-better' })).toThrow(RangeError);
  });
});

describe('decisionSetup for the stalls measure', () => {
  it('calibrates lower-is-better and decides on plain ms/s, however small the good stalls', () => {
    const setup = decisionSetup(stalls, { calibrationSamples: 6 });
    expect(setup.direction).toBe('lower-is-better');
    expect(setup.calibration?.samplesPerEndpoint).toBe(6);
    // Every good run stalled a little: a log scale would make 16 ms/s "far from good".
    const policy = calibrated(
      setup.calibration,
      runs(2, 3, 1.5, 4, 2.5, 3.5),
      runs(712, 845, 930, 780, 1000, 880),
    );
    const decision = policy.decide(runs(12, 16, 14, 20, 15, 18, 13));
    expect(decision).toMatchObject({ kind: 'verdict', verdict: 'good' });
    if (decision?.kind !== 'verdict') throw new Error('expected a verdict');
    expect((decision.evidence as RankTestEvidence).scale).toBe('linear');
  });
});

describe('decisionSetup names what splice-loopback measures in every verdict', () => {
  it('says txn/s for rr, bytes/s for bulk and ms/s for stalls, before any sample', () => {
    const summaryOf = (oracle: OracleSpec, good: Sample[], bad: Sample[], commit: Sample[]) => {
      const { calibration } = decisionSetup(oracle, { calibrationSamples: 6 });
      const decision = calibrated(calibration, good, bad).decide(commit);
      if (decision?.kind !== 'verdict') throw new Error('expected a verdict');
      return decision.evidence.summary;
    };
    const high = runs(2300, 2250, 2400, 2350, 2280, 2320);
    const low = runs(20, 22, 24, 23, 21, 25);
    expect(summaryOf(rate, high, low, runs(22, 23, 21, 24, 22, 23, 20))).toMatch(
      /^rr transactions -99% vs good \(2310 → 22 txn\/s\)/,
    );
    expect(
      summaryOf({ ...rate, args: '--pattern bulk' }, high, low, runs(21, 22, 23, 24, 22, 23, 20)),
    ).toMatch(/^throughput .* bytes\/s\)/);
    expect(summaryOf(stalls, low, high, runs(2300, 2310, 2290, 2305, 2320, 2280, 2300))).toMatch(
      /^stalled time .* ms\/s\)/,
    );
  });
});
