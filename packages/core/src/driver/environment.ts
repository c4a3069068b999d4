import type { BuildEvidence, Sample } from '../evidence.js';

/** A commit made ready for testing (a built worktree, a deployed kernel...). */
export interface PreparedCommit {
  commit: string;
  build: BuildEvidence;
}

/**
 * The world as the bisect loop sees it. The CLI wires a local worktree + command runner,
 * the service wires build and lab jobs; tests may wire anything. Every method may be
 * cancelled with the signal.
 */
export interface BisectEnvironment<P extends PreparedCommit = PreparedCommit> {
  /** Checks out and builds `commit`. A failed build resolves with `build.ok === false`. */
  prepare(commit: string, signal: AbortSignal): Promise<P>;
  /** Runs the oracle once on a prepared commit. Throws `OracleFailed` to skip the commit. */
  measure(prepared: P, signal: AbortSignal): Promise<Sample>;
  /** Frees what `prepare` took (worktree, lab lease). Called exactly once per prepare. */
  release(prepared: P): Promise<void>;
  /**
   * Optional: prepares `onto` with `commit` reverted, for the "bad + revert is good"
   * confirmation. Resolves null when the revert does not apply cleanly.
   */
  prepareRevert?(onto: string, commit: string, signal: AbortSignal): Promise<P | null>;
  /**
   * Optional: builds ahead. Called right after `prepare(testing)` was asked for (its build may
   * still run), with the commits the next step will pick for each verdict `testing` may get
   * (`whatIf`): start building them on spare capacity, so the next `prepare` finds its build
   * done or under way, and drop the one not taken when that `prepare` comes. Never awaited;
   * never changes what the loop decides, only when builds happen.
   */
  speculate?(testing: string, next: readonly string[]): void;
  /**
   * Optional: how many commits can be tested at once now (labs of a pool that are up, test
   * slots of an oracle that may run side by side). Asked before each round: with k > 1 a round
   * prepares and tests `bestCommits(k)` concurrently, one commit per slot, and the calibration
   * samples the endpoints concurrently. Absent or 1: one commit at a time.
   */
  testSlots?(): number | Promise<number>;
}
