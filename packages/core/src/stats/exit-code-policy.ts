import type { Decision, DecisionPolicy } from '../decision.js';
import type { Sample } from '../evidence.js';
import { NoSamples, OracleAborted } from './errors.js';

/** `git bisect run` asks for a skip with this code. */
const SKIP_CODE = 125;

/**
 * `git bisect run` semantics on the oracle's exit code: 0 good, 125 skip, 1–127 bad,
 * anything else aborts the bisect (a test setup that crashes must not mark commits); a hung
 * run is bad.
 * One run decides: exit codes are not noisy numbers.
 */
export function exitCodePolicy(): DecisionPolicy {
  return {
    initialSamples: 1,
    decide(samples: readonly Sample[]): Decision {
      const sample = samples[samples.length - 1];
      if (!sample) throw new NoSamples('the oracle did not run');
      const code = sample.exitCode;
      // A run the driver had to stop counts as bad, as `Sample.hang` promises everywhere.
      if (sample.hang) {
        return {
          kind: 'verdict',
          verdict: 'bad',
          evidence: { method: 'exit-code', summary: 'the oracle hung', exitCode: code, hang: true },
        };
      }
      if (code === undefined || !Number.isInteger(code) || code < 0 || code >= 128) {
        throw new OracleAborted(code);
      }
      const evidence = (summary: string) => ({
        method: 'exit-code' as const,
        summary,
        exitCode: code,
      });
      if (code === 0)
        return { kind: 'verdict', verdict: 'good', evidence: evidence('exit code 0') };
      if (code === SKIP_CODE) {
        return {
          kind: 'verdict',
          verdict: 'skip',
          skipReason: 'oracle-skip',
          evidence: evidence(`exit code ${SKIP_CODE}: the oracle asked to skip this commit`),
        };
      }
      return { kind: 'verdict', verdict: 'bad', evidence: evidence(`exit code ${code}`) };
    },
  };
}
