import { describe, expect, it } from 'vitest';
import { NoSamples, SampleWithoutValue } from './errors.js';
import { runs } from './test-samples.js';
import { thresholdPolicy } from './threshold-policy.js';

describe('thresholdPolicy', () => {
  const policy = thresholdPolicy({ threshold: 5, direction: 'higher-is-better' });

  it('takes one run by default and compares it with the threshold', () => {
    expect(policy.initialSamples).toBe(1);
    const bad = policy.decide(runs(4.9));
    expect(bad).toMatchObject({ kind: 'verdict', verdict: 'bad' });
    expect(bad.kind === 'verdict' && bad.evidence.summary).toBe('4.9 below threshold 5');
    expect(policy.decide(runs(7))).toMatchObject({ verdict: 'good' });
  });

  it('counts a value exactly at the threshold as good', () => {
    expect(policy.decide(runs(5))).toMatchObject({ verdict: 'good' });
  });

  it('compares the median of several runs', () => {
    const p = thresholdPolicy({ threshold: 5, direction: 'higher-is-better', samples: 3 });
    expect(p.initialSamples).toBe(3);
    expect(p.decide(runs(1, 6, 7))).toMatchObject({ verdict: 'good' });
    expect(p.decide(runs(1, 4, 7))).toMatchObject({ verdict: 'bad' });
  });

  it('calls a hang bad in either direction', () => {
    const hung = [{ seconds: 60, hang: true }];
    expect(policy.decide(hung)).toMatchObject({ verdict: 'bad' });
    const latency = thresholdPolicy({ threshold: 5, direction: 'lower-is-better' });
    expect(latency.decide(hung)).toMatchObject({ verdict: 'bad' });
    expect(latency.decide(runs(4))).toMatchObject({ verdict: 'good' });
    expect(latency.decide(runs(6))).toMatchObject({ verdict: 'bad' });
  });

  it('rejects a run without a number, a missing run, and a meaningless threshold', () => {
    expect(() => policy.decide([{ seconds: 1 }])).toThrow(SampleWithoutValue);
    expect(() => policy.decide([])).toThrow(NoSamples);
    expect(() => thresholdPolicy({ threshold: Number.NaN, direction: 'higher-is-better' })).toThrow(
      RangeError,
    );
  });
});
