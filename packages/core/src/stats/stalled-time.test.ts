/**
 * The statistics on splice-loopback's `stalls` measure: milliseconds per second stalled.
 * Unlike throughput it is 0 on a good kernel (no gap reaches the threshold), and hundreds
 * on a bad one (LAB-NOTES: 16 KiB responses stalled ~210 ms each, 64 KiB ones ~46 ms at
 * 23 txn/s). A zero baseline has no log and no ratio: these pin what the policy does then.
 */
import { describe, expect, it } from 'vitest';
import type { Decision, DecisionPolicy } from '../decision.js';
import type { Sample } from '../evidence.js';
import { calibrate } from './calibrate.js';
import { describeEffect } from './describe-effect.js';
import { type RankTestEvidence, statisticalPolicy } from './statistical-policy.js';
import { runs } from './test-samples.js';

/** Stalled ms/s of a 3 s run with these stalls, as the oracle computes it. */
const stalledRun = (...stallsMs: number[]) => stallsMs.reduce((a, b) => a + b, 0) / 3;

// Six good runs, one of which had a single 31 ms gap; six bad runs between 700 and 1000.
const good = runs(0, 0, 0, stalledRun(31), 0, 0);
const bad = runs(712, 845, 930, 780, 1000, 880);

/** Drives the policy as the bisect driver does: initial runs, then more until a verdict. */
function classify(policy: DecisionPolicy, values: readonly number[]) {
  const samples: Sample[] = [];
  let next = 0;
  const take = (n: number) => {
    for (let i = 0; i < n; i++) {
      samples.push({ value: values[next++ % values.length] as number, seconds: 3 });
    }
  };
  take(policy.initialSamples);
  for (;;) {
    const decision: Decision = policy.decide(samples);
    if (decision.kind === 'verdict') {
      return { decision, samples, evidence: decision.evidence as RankTestEvidence };
    }
    take(decision.count);
  }
}

describe('stalled time, good kernels at 0 ms/s', () => {
  const baselines = calibrate(good, bad, { direction: 'lower-is-better' });

  it('calibrates on 6 + 6 runs: no overlap, and an infinite ratio that is not refused', () => {
    expect(baselines.medians).toEqual({ good: 0, bad: 862.5 });
    expect(baselines.separation).toBe(1);
    // All six bad runs above all six good: 1/C(12,6).
    expect(baselines.pValue).toBeCloseTo(1 / 924, 10);
    expect(baselines.effect).toBe(Number.POSITIVE_INFINITY);
  });

  describe.each(['auto', 'linear'] as const)('the policy, scale %s', (scale) => {
    const policy = statisticalPolicy(baselines, { metric: 'stalled time', unit: 'ms/s', scale });

    it('starts with 3 runs: the baselines are far apart, where the likelihood ratio decides', () => {
      // The rank test alone would need 7 runs against 6: 1/C(13,7) = 5.8e-4, 1/C(12,6) = 1.1e-3.
      expect(policy.initialSamples).toBe(3);
    });

    it('calls a commit without stalls good', () => {
      const { decision, samples, evidence } = classify(policy, [0]);
      expect(decision).toMatchObject({ verdict: 'good' });
      expect(samples).toHaveLength(3);
      expect(evidence.scale).toBe('linear');
      expect(evidence.rule).toBe('likelihood-ratio');
      expect(evidence.summary).toBe(
        'stalled time 0% vs good (0 → 0 ms/s), unlike bad 863 ms/s (likelihood ratio 8000 ≥ 1000; rank test p = 0.012), 3 + 6 samples',
      );
    });

    it('calls a commit stalled ~800 ms/s bad, 93% of the way to the bad median', () => {
      const { decision, samples, evidence } = classify(policy, [790, 810, 805, 800, 795, 820, 780]);
      expect(decision).toMatchObject({ verdict: 'bad' });
      expect(samples).toHaveLength(3);
      expect(evidence.position).toBeCloseTo(805 / 862.5, 6);
      // No percentage from 0: "+∞%" says nothing the two values do not.
      expect(evidence.summary).toBe(
        'stalled time vs good (0 → 805 ms/s), likelihood ratio 8000 ≥ 1000 (rank test p = 0.012), 3 + 6 samples',
      );
      expect(evidence.effects.vsGood).toBeNull();
    });

    it('calls a commit with one 45 ms stall among stall-free runs good, not bad', () => {
      // 15 ms/s is 2% of the way to bad: the delayed-ACK timer firing once, as it may on a
      // healthy kernel. One such run alone decides nothing.
      const once = stalledRun(45);
      expect(policy.decide(runs(once))).toMatchObject({ kind: 'more' });
      const { decision, samples, evidence } = classify(policy, [0, once, 0, 0, 0, 0, 0]);
      expect(decision).toMatchObject({ verdict: 'good' });
      expect(samples).toHaveLength(3);
      expect(evidence.pValues.bad).toBe(1);
      expect(evidence.likelihoodRatio?.logGood).toBeGreaterThan(Math.log(1000));
    });

    it('calls the hang of the 3.7 logic bad when the bad endpoint hangs too', () => {
      const hung = { value: 1000, seconds: 5, hang: true };
      const hanging = calibrate(good, [hung, hung, hung, hung, hung, hung], {
        direction: 'lower-is-better',
      });
      const p = statisticalPolicy(hanging, { scale });
      expect(p.decide(Array.from({ length: 7 }, () => hung))).toMatchObject({ verdict: 'bad' });
      expect(p.decide(runs(0, 0, 0, 0, 0, 0, 0))).toMatchObject({ verdict: 'good' });
    });
  });

  it('runs on plain values when good runs all stalled a little, if asked to (the stalls measure does)', () => {
    // No exact 0 in the good baseline: `auto` takes logs, where 2.8 → 16 ms/s is a third of
    // the way to 860 and "significantly worse than good"; on plain values it is 2%.
    const stallsEverywhere = calibrate(runs(2, 3, 1.5, 4, 2.5, 3.5), bad, {
      direction: 'lower-is-better',
    });
    const few = [12, 16, 14, 20, 15, 18, 13];
    const linear = classify(statisticalPolicy(stallsEverywhere, { scale: 'linear' }), few);
    expect(linear.decision).toMatchObject({ verdict: 'good' });
    expect(linear.samples).toHaveLength(3);
    const log = statisticalPolicy(stallsEverywhere).decide(runs(...few));
    expect(log).toMatchObject({ kind: 'more' });
  });

  it('describes the culprit of a 0 → 800 ms/s regression without an infinite percentage', () => {
    expect(
      describeEffect(good, runs(790, 810, 805), 'lower-is-better', 'ms/s', 'stalled time'),
    ).toBe('stalled time (0 → 805 ms/s), p = 0.012, 3 + 6 samples');
  });
});
