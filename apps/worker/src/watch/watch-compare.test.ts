import type { WatchRecord } from '@kbisect/queue';
import { describe, expect, it } from 'vitest';
import { compare } from './watch-processor.js';

const watch = (regression?: WatchRecord['spec']['regression']) =>
  ({ spec: { ...(regression ? { regression } : {}) } }) as Pick<WatchRecord, 'spec'>;
const rule = { metric: 'median' as const, maxDropPercent: 10 };

describe('compare, the regression rule of a watch', () => {
  it('calls a clear drop beyond the limit a regression, with its figures', () => {
    const verdict = compare(
      'metric',
      [100, 101, 99, 100, 102],
      [80, 81, 79, 80, 82],
      'higher-is-better',
      watch(rule),
    );
    expect(verdict.regression).toBe(true);
    expect(verdict.changePercent).toBeCloseTo(-20, 5);
    expect(verdict.pValue).toBeLessThan(0.05);
  });

  it('does not call a drop within the limit, or an improvement, a regression', () => {
    expect(
      compare(
        'metric',
        [100, 100, 100, 100, 100],
        [95, 95, 95, 95, 95],
        'higher-is-better',
        watch(rule),
      ).regression,
    ).toBe(false);
    expect(
      compare(
        'metric',
        [100, 100, 100, 100, 100],
        [150, 150, 150, 150, 150],
        'higher-is-better',
        watch(rule),
      ).regression,
    ).toBe(false);
  });

  it('reads the direction: a latency that grew is worse', () => {
    const verdict = compare(
      'metric',
      [10, 10, 11, 10, 10],
      [20, 21, 20, 20, 22],
      'lower-is-better',
      watch(rule),
    );
    expect(verdict.regression).toBe(true);
    expect(verdict.changePercent).toBeCloseTo(100, 5);
  });

  it('needs the rank test too: overlapping samples with a lower median are not enough', () => {
    const verdict = compare(
      'metric',
      [100, 60, 100, 60, 100],
      [60, 100, 60, 85, 60],
      'higher-is-better',
      watch(rule),
    );
    expect(verdict.changePercent).toBeCloseTo(-40, 5);
    expect(verdict.regression).toBe(false);
  });

  it('sees a regression from a zero median: stalled time that appears on a stall-free tip', () => {
    const stalls = compare(
      'metric',
      [0, 0, 0, 0, 0, 0],
      [850, 860, 845, 870, 855, 862],
      'lower-is-better',
      watch(rule),
    );
    expect(stalls.regression).toBe(true);
    expect(stalls.changePercent).toBe(Number.POSITIVE_INFINITY);
    expect(stalls.summary).toMatch(/^median 0 → 857.5 \(\+∞ from 0, worse by \+∞ from 0/);
    const still = compare('metric', [0, 0, 0], [0, 0, 0], 'lower-is-better', watch(rule));
    expect(still.regression).toBe(false);
    expect(still.changePercent).toBe(0);
  });

  it('with a command oracle, a tip that fails it is a regression and a skip is not', () => {
    expect(compare('command', [0, 0], [0, 1], 'higher-is-better', watch()).regression).toBe(true);
    expect(compare('command', [0, 0], [0, 125], 'higher-is-better', watch()).regression).toBe(
      false,
    );
  });
});
