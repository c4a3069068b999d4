import type { BisectOutcome } from '@kbisect/core';
import { describe, expect, it } from 'vitest';
import { humanReport } from './human-report.js';

const culprit = 'c'.repeat(40);
const outcome: BisectOutcome = {
  result: { kind: 'found', culprit },
  journal: [
    {
      commit: culprit,
      verdict: 'bad',
      source: 'oracle',
      evidence: { build: { ok: true, seconds: 90 }, samples: [{ value: 1, seconds: 1 }] },
    },
  ],
  confirmations: [],
  totals: { steps: 1, oracleRuns: 1, buildSeconds: 90, testSeconds: 1, totalSeconds: 91 },
};
const warning =
  "the culprit's kernel has the same code as its parent's (.text signature 1a2b3c4d5e6f…): " +
  'the commit probably does not change the kernel; suspect the test or noise';

describe('humanReport', () => {
  it('shows a doubt about the culprit right below its effect', () => {
    const text = humanReport(outcome, new Map(), { effect: 'metric -86%', warnings: [warning] });
    expect(text).toContain(
      `${culprit} is the first bad commit\n    Effect:   metric -86%\n    Warning:  ${warning}\n`,
    );
  });

  it('has no warning line when nothing doubts the culprit', () => {
    expect(humanReport(outcome, new Map(), { effect: 'metric -86%' })).not.toContain('Warning');
  });
});
