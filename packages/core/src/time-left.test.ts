import { describe, expect, it } from 'vitest';
import type { JournalEntry } from './journal.js';
import { estimateTimeLeft, testCost } from './time-left.js';

const runs = (n: number, seconds: number) =>
  Array.from({ length: n }, () => ({ value: 1, seconds }));

const entry = (commit: string, evidence: JournalEntry['evidence']): JournalEntry => ({
  commit,
  verdict: 'good',
  source: 'oracle',
  ...(evidence ? { evidence } : {}),
});

// Endpoints built in 60 s and calibrated on 10 runs of 2 s each, each test 5 s of kexec.
const calibrated: JournalEntry[] = [
  entry('good', { build: { ok: true, seconds: 60 }, samples: runs(10, 2), testSeconds: 25 }),
  entry('bad', { build: { ok: true, seconds: 60 }, samples: runs(10, 2), testSeconds: 25 }),
];
const input = (journal: JournalEntry[], tests: number) => ({
  journal,
  tests,
  samplesPerTest: 3,
  endpoints: ['good', 'bad'],
});

describe('estimateTimeLeft', () => {
  it('knows nothing before anything was measured', () => {
    expect(estimateTimeLeft(input([], 7))).toBeUndefined();
    expect(
      estimateTimeLeft(input([{ commit: 'x', verdict: 'bad', source: 'manual' }], 7)),
    ).toBeUndefined();
  });

  it('prices a test from the endpoints: build, deploy, and the runs a commit starts with', () => {
    expect(testCost(input(calibrated, 7))).toEqual({
      buildSeconds: 60,
      overheadSeconds: 5,
      sampleSeconds: 2,
      samples: 3,
    });
    // 7 tests × (60 + 5 + 3 × 2) s
    expect(estimateTimeLeft(input(calibrated, 7))).toBe(497);
  });

  it('counts the calibration runs still due in the current look before the tests', () => {
    // 12 runs of 2 s left of this look, then 7 tests × (60 + 5 + 3 × 2) s.
    expect(estimateTimeLeft({ ...input(calibrated, 7), calibrationRuns: 12 })).toBe(24 + 497);
    expect(estimateTimeLeft({ ...input(calibrated, 0), calibrationRuns: 12 })).toBe(24);
  });

  it('learns from the tested commits how many runs a test takes, and shrinks as tests pass', () => {
    const tested = [
      ...calibrated,
      entry('c1', { build: { ok: true, seconds: 40 }, samples: runs(5, 2), testSeconds: 15 }),
      entry('c2', { build: { ok: true, seconds: 40 }, samples: runs(5, 2), testSeconds: 15 }),
      entry('c3', { build: { ok: true, seconds: 50 }, samples: runs(5, 2), testSeconds: 15 }),
    ];
    const cost = testCost(input(tested, 4));
    expect(cost).toMatchObject({ samples: 5, buildSeconds: 50, overheadSeconds: 5 });
    const early = estimateTimeLeft(input(tested, 4)) as number;
    const later = estimateTimeLeft(input(tested, 2)) as number;
    expect(early).toBe(4 * (50 + 5 + 10));
    expect(later).toBeLessThan(early);
    expect(estimateTimeLeft(input(tested, 0))).toBe(0);
  });

  it('leaves cached builds out: a commit built before says nothing about the next one', () => {
    const cached = [
      ...calibrated,
      entry('c1', {
        build: { ok: true, seconds: 0.1, cached: true },
        samples: runs(3, 2),
        testSeconds: 11,
      }),
    ];
    expect(testCost(input(cached, 1))?.buildSeconds).toBe(60);
  });
});
