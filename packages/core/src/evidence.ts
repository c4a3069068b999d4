import type { BadReason, SkipReason } from './verdict.js';

/** What building a commit produced; kept with the verdict so a skip can be judged. */
export interface BuildEvidence {
  ok: boolean;
  seconds: number;
  /** Last lines of the build output (failure only, or when asked). */
  logTail?: string;
  timedOut?: boolean;
  /** The build came from a cache: nothing was compiled for this commit (kernel builds). */
  cached?: boolean;
  /**
   * What the built kernel executes (kernel builds only, `@kbisect/build`'s KernelBuilder):
   * `text:` + the sha256 of vmlinux's .text section, or `image:` + the sha256 of the image
   * when there is no vmlinux. Equal signatures mean the same code whatever the commit, which
   * makes a culprit doubtful (`culpritWarnings`). Build commands leave it out.
   */
  signature?: string;
}

/** One execution of the oracle on a commit. */
export interface Sample {
  /** The measured number (metric / splice oracles); absent for exit-code oracles. */
  value?: number;
  /** Exit code of the oracle process, when it was a process. */
  exitCode?: number;
  seconds: number;
  /** True when the workload stopped moving (e.g. splice-bench `hang: true`): counts as bad. */
  hang?: boolean;
  /** Oracle-specific extras (stalls histogram, kernel release...), kept verbatim for reports. */
  detail?: Record<string, unknown>;
}

/** How the decision was reached from the samples (threshold or statistical test). */
export interface DecisionEvidence {
  method: 'exit-code' | 'threshold' | 'rank-test' | 'boots';
  summary: string;
  [key: string]: unknown;
}

/** Everything that led to one verdict: the proof a kernel developer asks for. */
export interface Evidence {
  build?: BuildEvidence;
  samples?: Sample[];
  decision?: DecisionEvidence;
  skipReason?: SkipReason;
  /** Why the verdict is bad without a decision: the kernel did not boot, in a boot bisect. */
  badReason?: BadReason;
  /** Free text for a person (e.g. the reason for a manual mark). */
  note?: string;
  testSeconds?: number;
}
