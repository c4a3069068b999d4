import { describe, expect, it } from 'vitest';
import type { Decision, DecisionPolicy } from '../decision.js';
import type { Sample } from '../evidence.js';
import { type Baselines, calibrate } from './calibrate.js';
import { BaselinesTooSmall } from './errors.js';
import { formatValue } from './format.js';
import {
  baselinesPowerful,
  commitRunCap,
  type RankTestEvidence,
  statisticalPolicy,
} from './statistical-policy.js';
import { noisyRuns, runs } from './test-samples.js';

const throughput = calibrate(noisyRuns(11, 40, 9.1, 0.05), noisyRuns(12, 40, 0.7, 0.05), {
  direction: 'higher-is-better',
});

/** Drives the policy as the bisect driver does: initial runs, then more until a verdict. */
function classify(policy: DecisionPolicy, source: () => Sample) {
  const samples = Array.from({ length: policy.initialSamples }, source);
  const asked: Decision[] = [];
  for (;;) {
    const decision = policy.decide(samples);
    asked.push(decision);
    if (decision.kind === 'verdict') return { decision, samples, asked };
    for (let i = 0; i < decision.count; i++) samples.push(source());
  }
}

function evidenceOf(decision: Decision): RankTestEvidence {
  if (decision.kind !== 'verdict') throw new Error(`expected a verdict, got ${decision.kind}`);
  return decision.evidence as RankTestEvidence;
}

const goodText = formatValue(throughput.medians.good).replace('.', '\\.');
const badText = formatValue(throughput.medians.bad).replace('.', '\\.');

const stream = (seed: number, level: number, cv: number) => {
  const pool = noisyRuns(seed, 100, level, cv);
  let i = 0;
  return () => pool[i++ % pool.length] as Sample;
};

describe('statisticalPolicy', () => {
  it('calls a commit at the bad level bad after three runs, with the evidence a report needs', () => {
    const policy = statisticalPolicy(throughput, { metric: 'throughput', unit: 'Gbit/s' });
    const decision = policy.decide(runs(0.69, 0.72, 0.71));
    expect(decision).toMatchObject({ kind: 'verdict', verdict: 'bad' });
    const evidence = evidenceOf(decision);
    expect(evidence.summary).toMatch(
      new RegExp(
        `^throughput -92% vs good \\(${goodText} → 0\\.71 Gbit/s\\), p = 8e-5, 3 \\+ 40 samples$`,
      ),
    );
    expect(evidence.samples).toEqual([0.69, 0.72, 0.71]);
    expect(evidence.pValues.worseThanGood).toBeCloseTo(1 / 12341, 12);
    expect(evidence.pValues.betterThanBad).toBeGreaterThan(0.1);
    expect(evidence.medians).toEqual({
      commit: 0.71,
      good: throughput.medians.good,
      bad: throughput.medians.bad,
    });
    expect(evidence.effects.vsGood).toBeCloseTo(0.71 / throughput.medians.good - 1, 12);
    expect(evidence.position).toBeGreaterThan(0.9);
  });

  it('calls a commit at the good level good', () => {
    const decision = statisticalPolicy(throughput).decide(runs(9.0, 9.3, 9.1));
    expect(decision).toMatchObject({ kind: 'verdict', verdict: 'good' });
    expect(evidenceOf(decision).summary).toMatch(
      new RegExp(
        `^median (?:[-+]\\d+|0)% vs good \\(${goodText} → 9\\.1\\), unlike bad ${badText} \\(p = 8e-5\\), 3 \\+ 40 samples$`,
      ),
    );
  });

  it('calls a commit good when it is a little slower than an unluckily fast good baseline', () => {
    // All three runs below all 40 good runs (p = 8e-5 for "worse than good"), but by 1-2%
    // where the regression is 92%: that is the good level, not a regression.
    const fastest = Math.min(...throughput.good);
    const decision = statisticalPolicy(throughput).decide(
      runs(fastest * 0.98, fastest * 0.985, fastest * 0.99),
    );
    expect(decision).toMatchObject({ verdict: 'good' });
  });

  it('never calls a commit bad while its median is nearer good (a flaky commit)', () => {
    // Three runs a third of the way to bad, two at the bad level: worse than good beyond
    // doubt, not better than bad beyond doubt, yet the typical run is nearer good.
    const decision = statisticalPolicy(throughput).decide(runs(3.7, 3.72, 3.68, 0.7, 0.71));
    expect(decision.kind).toBe('more');
  });

  it('asks for more runs, then skips as unclear, for a commit halfway between good and bad', () => {
    const policy = statisticalPolicy(throughput);
    const { decision, samples, asked } = classify(policy, stream(13, 2.5, 0.05));
    // 3 runs, then 2 at a time up to 39, then the one left to reach 40.
    expect(asked.map((d) => (d.kind === 'more' ? d.count : d.verdict))).toEqual([
      ...Array.from({ length: 18 }, () => 2),
      1,
      'skip',
    ]);
    expect(asked[0]).toMatchObject({ kind: 'more', why: expect.stringMatching(/do not decide/) });
    expect(samples).toHaveLength(40);
    expect(decision).toMatchObject({ verdict: 'skip', skipReason: 'unclear' });
    expect(evidenceOf(decision).summary).toMatch(
      new RegExp(
        `^unclear after 40 samples: median 2\\.5 between good ${goodText} and bad ${badText}`,
      ),
    );
  });

  it('stops at maxSamples and never asks for more than are left', () => {
    const policy = statisticalPolicy(throughput, { initialSamples: 3, maxSamples: 6, step: 2 });
    const { samples, asked } = classify(policy, stream(14, 2.5, 0.05));
    expect(asked.map((d) => (d.kind === 'more' ? d.count : d.verdict))).toEqual([2, 1, 'skip']);
    expect(samples).toHaveLength(6);
  });

  it('takes more runs on a noisy commit before deciding, and then decides right', () => {
    const noisy = calibrate(noisyRuns(15, 40, 10, 0.12), noisyRuns(16, 40, 7.5, 0.12), {
      direction: 'higher-is-better',
    });
    const policy = statisticalPolicy(noisy);
    let wrong = 0;
    let unclear = 0;
    let runsTaken = 0;
    for (let seed = 100; seed < 300; seed++) {
      const isBad = seed % 2 === 0;
      const { decision, samples } = classify(policy, stream(seed, isBad ? 7.5 : 10, 0.12));
      runsTaken += samples.length;
      if (decision.kind !== 'verdict' || decision.verdict === 'skip') unclear++;
      else if ((decision.verdict === 'bad') !== isBad) wrong++;
    }
    expect(wrong).toBe(0);
    expect(unclear).toBeLessThanOrEqual(4);
    expect(runsTaken / 200).toBeGreaterThan(3);
  });

  it('calls hung runs bad, whichever way the metric goes', () => {
    const hung: Sample = { seconds: 60, hang: true };
    expect(statisticalPolicy(throughput).decide([hung, hung, hung])).toMatchObject({
      verdict: 'bad',
    });
    const latency = calibrate(noisyRuns(17, 40, 2, 0.05), noisyRuns(18, 40, 6, 0.05), {
      direction: 'lower-is-better',
    });
    const decision = statisticalPolicy(latency).decide([hung, hung, hung]);
    expect(decision).toMatchObject({ verdict: 'bad' });
    expect(evidenceOf(decision).summary).toMatch(
      /^median vs good \(2 → hang\), p = 8e-5, 3 \+ 40 samples$/,
    );
    expect(statisticalPolicy(latency).decide(runs(2.1, 1.9, 2))).toMatchObject({ verdict: 'good' });
  });

  it('classifies against a mostly hung bad baseline: numbers are good, hangs are bad', () => {
    const hung: Sample = { seconds: 60, hang: true };
    const baselines = calibrate(
      noisyRuns(19, 40, 9.1, 0.05),
      [...Array.from({ length: 30 }, () => hung), ...noisyRuns(20, 10, 0.5, 0.5)],
      { direction: 'higher-is-better' },
    );
    const policy = statisticalPolicy(baselines);
    expect(policy.decide(runs(9, 9.2, 9.1))).toMatchObject({ verdict: 'good' });
    expect(policy.decide([hung, hung, hung])).toMatchObject({ verdict: 'bad' });
  });

  it('starts with enough runs to reach alpha when the baselines are small', () => {
    // Apart, but not far enough apart for the likelihood ratio: the rank test must decide.
    const small: Baselines = calibrate(runs(9.2, 9.5, 10, 10.5, 11), runs(7, 7.5, 8, 8.5, 9), {
      direction: 'higher-is-better',
    });
    // 7 runs against 5 reach 1/C(12,7) = 1.3e-3 > 0.001; 8 reach 7.8e-4.
    expect(statisticalPolicy(small).initialSamples).toBe(8);
    expect(statisticalPolicy(small, { alpha: 0.05, initialSamples: 3 }).initialSamples).toBe(3);
  });

  it('refuses baselines so small that no commit could ever be classified', () => {
    const tiny = calibrate(runs(9, 9.1, 9.2, 9.3), runs(1, 1.1, 1.2, 0.9), {
      direction: 'higher-is-better',
      alpha: 0.05,
    });
    // 8 runs against 4 cannot go below 1/C(12,8) = 2e-3.
    expect(() => statisticalPolicy(tiny, { maxSamples: 8 })).toThrow(BaselinesTooSmall);
    // 10 runs can reach alpha; these baselines are far apart, so the first look is at 3.
    expect(statisticalPolicy(tiny, { maxSamples: 10 }).initialSamples).toBe(3);
  });

  it('rejects options that cannot work', () => {
    expect(() => statisticalPolicy(throughput, { maxSamples: 2 })).toThrow(/maxSamples/);
    expect(() => statisticalPolicy(throughput, { alpha: 0 })).toThrow(/alpha/);
    expect(() => statisticalPolicy(throughput, { margin: 0.5 })).toThrow(/margin/);
    expect(() => statisticalPolicy(throughput, { step: 0 })).toThrow(/step/);
  });

  describe('baselines that are near (a 3.5% regression at 3% noise)', () => {
    const good = noisyRuns(21, 160, 9.1, 0.03);
    const bad = noisyRuns(22, 160, 9.1 * 0.965, 0.03);
    const near = (n: number) =>
      calibrate(good.slice(0, n), bad.slice(0, n), { direction: 'higher-is-better' });

    it('raises the cap to the runs the rank test needs, up to 4x maxSamples', () => {
      expect(commitRunCap(throughput)).toBe(40);
      expect(commitRunCap(throughput, { maxSamples: 6 })).toBe(6);
      const cap = commitRunCap(near(160));
      expect(cap).toBeGreaterThan(40);
      expect(cap).toBeLessThanOrEqual(160);
      // Too few baseline runs for any cap: the most allowed, and not powerful.
      expect(commitRunCap(near(40))).toBe(160);
      expect(baselinesPowerful(near(40))).toBe(false);
      expect(baselinesPowerful(near(160))).toBe(true);
      expect(baselinesPowerful(throughput)).toBe(true);
    });

    it('asks for more past 40 runs for a commit halfway, and stops at the raised cap', () => {
      const policy = statisticalPolicy(near(160));
      const cap = commitRunCap(near(160));
      const halfway = noisyRuns(31, 400, 9.1 * 0.9825, 0.03);
      expect(policy.decide(halfway.slice(0, 40))).toMatchObject({ kind: 'more', count: 2 });
      expect(policy.decide(halfway.slice(0, cap - 1))).toMatchObject({ kind: 'more', count: 1 });
      expect(policy.decide(halfway.slice(0, cap))).toMatchObject({ kind: 'verdict' });
    });

    it('classifies commits at either level, none wrong, where a cap of 40 left some unclear', () => {
      const policy = statisticalPolicy(near(160));
      let wrong = 0;
      let unclear = 0;
      let past40 = 0;
      for (let seed = 400; seed < 500; seed++) {
        const isBad = seed % 2 === 0;
        const level = isBad ? 9.1 * 0.965 : 9.1;
        const { decision, samples } = classify(policy, stream(seed, level, 0.03));
        if (samples.length > 40) past40++;
        if (decision.kind !== 'verdict' || decision.verdict === 'skip') unclear++;
        else if ((decision.verdict === 'bad') !== isBad) wrong++;
      }
      expect(wrong).toBe(0);
      expect(unclear).toBeLessThanOrEqual(1);
      // Decided past 40 runs: each of these would have been skipped with the old cap.
      expect(past40).toBeGreaterThan(0);
    });
  });
});
