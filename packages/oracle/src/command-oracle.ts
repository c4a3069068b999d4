import { OracleFailed } from '@kbisect/core';
import { type Oracle, type OracleContext, outputTail } from './oracle.js';
import type { Runner } from './runner.js';

export interface CommandOracleOptions {
  runner: Runner;
  /** A shell command line, as given to `git bisect run sh -c '...'`. */
  command: string;
  timeoutMs: number;
  /** The spec asked for network; a sandboxed run has none otherwise. */
  network?: boolean;
}

/**
 * `git bisect run` semantics: the exit code is the answer (0 good, 125 skip, 1–127 bad,
 * anything else aborts). The policy turns the code into a verdict; this only runs it.
 * The command line is the user's own shell text, so it runs under `sh -c` on purpose;
 * the commit is passed in the environment, never spliced into the text.
 */
export function commandOracle({
  runner,
  command,
  timeoutMs,
  network,
}: CommandOracleOptions): Oracle {
  return {
    description: `command: ${command}`,
    async measure({ commit, dir, signal }: OracleContext) {
      const run = await runner.run(['sh', '-c', command], {
        cwd: dir,
        timeoutMs,
        signal,
        env: { KBISECT_COMMIT: commit },
        ...(network ? { network } : {}),
      });
      if (run.timedOut) {
        throw new OracleFailed(
          `oracle command timed out after ${timeoutMs / 1000} s`,
          outputTail(run.stdout + run.stderr),
        );
      }
      return {
        exitCode: run.exitCode ?? 128 + 9,
        seconds: run.durationMs / 1000,
        detail: { outputTail: outputTail(run.stdout + run.stderr, 10) },
      };
    },
  };
}
