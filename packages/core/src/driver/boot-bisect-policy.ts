import type { DecisionPolicy } from '../decision.js';

/**
 * The policy of a boot bisect whose bad endpoint does not boot: no measurement of the bad
 * commit exists to calibrate against, and the regression is the boot failure itself, so a
 * kernel that boots and lets the oracle run once is good. A kernel that does not boot never
 * reaches `decide`: the driver journals it bad from its `OracleFailed` ('boot-failed').
 */
export function bootsIsGoodPolicy(): DecisionPolicy {
  return {
    initialSamples: 1,
    decide: () => ({
      kind: 'verdict',
      verdict: 'good',
      evidence: {
        method: 'boots',
        summary: 'the kernel booted and the oracle ran (the bad endpoint does not boot)',
      },
    }),
  };
}
