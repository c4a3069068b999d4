import { OracleFailed } from '@kbisect/core';
import { type Oracle, type OracleContext, outputTail } from './oracle.js';
import type { Runner } from './runner.js';

export interface MetricOracleOptions {
  runner: Runner;
  /** A shell command line that prints the measurement; the last number on stdout counts. */
  command: string;
  timeoutMs: number;
  /** The spec asked for network; a sandboxed run has none otherwise. */
  network?: boolean;
}

const NUMBER = /[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/g;

/** The last number in a text, or undefined: tools print units and labels around it. */
export function lastNumber(stdout: string): number | undefined {
  const matches = stdout.match(NUMBER);
  if (!matches) return undefined;
  const value = Number(matches[matches.length - 1]);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * Runs a command that prints a number. A run that fails or prints no number cannot say
 * anything about the commit, so it is an `OracleFailed` (the commit is skipped with the
 * output as evidence) — except exit 125, which the user chose to mean "skip" as in git.
 */
export function metricOracle({ runner, command, timeoutMs, network }: MetricOracleOptions): Oracle {
  return {
    description: `metric: ${command}`,
    quantity: { metric: 'metric' },
    async measure({ commit, dir, signal }: OracleContext) {
      const run = await runner.run(['sh', '-c', command], {
        cwd: dir,
        timeoutMs,
        signal,
        env: { KBISECT_COMMIT: commit },
        ...(network ? { network } : {}),
      });
      const tail = outputTail(run.stdout + run.stderr);
      if (run.timedOut) {
        throw new OracleFailed(`metric command timed out after ${timeoutMs / 1000} s`, tail);
      }
      if (run.exitCode !== 0) {
        const how = run.exitCode === null ? `signal ${run.signal}` : `exit code ${run.exitCode}`;
        throw new OracleFailed(`metric command failed with ${how}`, tail);
      }
      const value = lastNumber(run.stdout);
      if (value === undefined) {
        throw new OracleFailed('metric command printed no number on stdout', tail);
      }
      return { value, exitCode: 0, seconds: run.durationMs / 1000 };
    },
  };
}
