import type { BisectOutcome, BisectResult, JournalEntry } from '@kbisect/core';

/**
 * The machine-readable result: the last stdout line of `kbisect run --json` (and later of
 * `kbisect start --wait --json`). Its shape is a contract with CI scripts; extend, never rename.
 */
export interface ResultObject {
  status: 'found' | 'inconclusive' | 'not-distinguishable' | 'error';
  culprit: string | null;
  candidates: string[];
  steps: number;
  oracleRuns: number;
  subject: string | null;
  log: string;
  result?: BisectResult;
  reason?: string;
  effect?: string;
  confirmations?: BisectOutcome['confirmations'];
  /** Every verdict with its evidence: build timings and log tails, samples, statistics. */
  journal?: JournalEntry[];
  baselines?: unknown;
  error?: string;
  seconds?: { build: number; test: number; total: number };
}

/** Exit codes of `kbisect run` and `kbisect start --wait`; documented in the README. */
export const EXIT = {
  found: 0,
  error: 1,
  inconclusive: 2,
  notDistinguishable: 3,
  cancelled: 130,
} as const;

export function exitCodeFor(status: ResultObject['status']): number {
  switch (status) {
    case 'found':
      return EXIT.found;
    case 'inconclusive':
      return EXIT.inconclusive;
    case 'not-distinguishable':
      return EXIT.notDistinguishable;
    case 'error':
      return EXIT.error;
  }
}

export function reasonOf(result: BisectResult): string | undefined {
  switch (result.kind) {
    case 'found':
      return undefined;
    case 'inconclusive':
      return result.reason;
    case 'good-is-bad':
      return `the good commit ${result.commit} tests bad: the regression is older than the range`;
    case 'bad-is-good':
      return `the bad commit ${result.commit} tests good: the regression does not reproduce`;
  }
}
