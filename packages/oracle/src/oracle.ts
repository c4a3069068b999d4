import type { Sample } from '@kbisect/core';

/** Where and on what one oracle run happens. */
export interface OracleContext {
  commit: string;
  /**
   * Where command and metric oracles run and their files go, on the target: the commit's
   * worktree on the worker host, the lab config's workDir on a lab.
   */
  dir: string;
  signal: AbortSignal;
  /**
   * The kernel release the target must run (a lab after a deploy), proved with `uname -r`
   * before the sample; absent on the worker host, which boots nothing.
   */
  release?: string;
}

/** One measurement of one commit. Decisions are the policy's job, not the oracle's. */
export interface Oracle {
  /** For logs and reports, e.g. `metric: ./measure.sh`. */
  readonly description: string;
  /** What the numbers are, for reports ("throughput", "txn/s"); absent for exit codes. */
  readonly quantity?: { metric: string; unit?: string };
  measure(context: OracleContext): Promise<Sample>;
}

/** Keeps the last lines of a process's output for the journal; whole logs are too big. */
export function outputTail(text: string, lines = 20): string {
  const all = text.trimEnd().split('\n');
  return all.slice(-lines).join('\n');
}
