import { describe, expect, it } from 'vitest';
import { describeEffect } from './describe-effect.js';
import { runs } from './test-samples.js';

describe('describeEffect', () => {
  const good = runs(9.0, 9.1, 9.2, 9.15, 9.05, 8.95, 9.12);
  const culprit = runs(0.7, 0.71, 0.69, 0.72, 0.68, 0.7, 0.73);

  it('gives change, medians, p-value and sample counts in one line', () => {
    // 7 runs all below 7 runs: p = 1/C(14,7) = 1/3432.
    expect(describeEffect(good, culprit, 'higher-is-better', 'Gbit/s', 'throughput')).toBe(
      'throughput -92% (9.1 → 0.7 Gbit/s), p = 3e-4, 7 + 7 samples',
    );
  });

  it('leads with the likelihood ratio when it decided the culprit', () => {
    const decidedBy = { logBad: 3 * Math.log(20), threshold: Math.log(1000) };
    expect(
      describeEffect(
        [9.0, 9.1, 9.2, 9.0, 9.1, 9.2],
        runs(0.7, 0.7, 0.7),
        'higher-is-better',
        undefined,
        'metric',
        decidedBy,
      ),
    ).toBe(
      'metric -92% (9.1 → 0.7), likelihood ratio 8000 ≥ 1000 (rank test p = 0.012), 3 + 6 samples',
    );
  });

  it('accepts the calibrated baseline as plain numbers', () => {
    expect(describeEffect([9.0, 9.1, 9.2], runs(0.7, 0.7, 0.7), 'higher-is-better')).toBe(
      '-92% (9.1 → 0.7), p = 0.05, 3 + 3 samples',
    );
  });

  it('reads a rise as worse when lower is better, and names a hang', () => {
    expect(describeEffect(runs(1, 1, 1), runs(2, 2, 2), 'lower-is-better', 'ms')).toBe(
      '+100% (1 → 2 ms), p = 0.05, 3 + 3 samples',
    );
    const hung = { seconds: 60, hang: true };
    expect(describeEffect(runs(1, 1, 1), [hung, hung, hung], 'lower-is-better', 'ms')).toBe(
      '(1 → hang), p = 0.05, 3 + 3 samples',
    );
  });
});
