import type { BisectResult, Confirmation, JournalEntry } from '@kbisect/core';

/**
 * The result object of a bisect as `kbisect run --json` prints it and the service stores it
 * (`ResultObject` of apps/cli and of @kbisect/queue). Copied here as this package's own input
 * type so the reports depend on the shape, not on an app: both result objects are assignable
 * to it as they are. The service keeps the journal beside the result, not in it; pass it in
 * `journal` here.
 */
export interface ReportResult {
  status: 'found' | 'inconclusive' | 'not-distinguishable' | 'error';
  culprit: string | null;
  candidates: string[];
  steps: number;
  oracleRuns: number;
  subject: string | null;
  /** The `git bisect log` text. */
  log: string;
  result?: BisectResult;
  reason?: string;
  /** "throughput -92% (9.1 → 0.7 Gbit/s), p = 1e-4, 7 + 40 samples" (describeEffect). */
  effect?: string;
  /** Doubts about the culprit a reader must see beside it (`culpritWarnings` of core). */
  warnings?: string[];
  confirmations?: Confirmation[];
  journal?: JournalEntry[];
  /** Not distinguishable: both endpoints' summaries (see `NotDistinguishable`). */
  baselines?: unknown;
  error?: string;
  seconds?: { build: number; test: number; total: number };
  /** What ran where, from the bisect's spec (`BisectSetup` of @kbisect/queue). */
  setup?: ReportSetup;
}

/**
 * The part of the setup known before the first step, one readable line each; what only the
 * run knows (labs, kernel releases, compiler versions) the reports read from the journal.
 */
export interface ReportSetup {
  repository: string;
  range: string;
  build: string;
  lab: string;
  oracle: string;
  decision: string;
  recipe?: string;
}

/** What a report says about a commit; `CommitInfo` of @kbisect/git and the service's
 * `CommitDescription` both fit. */
export interface ReportCommit {
  sha: string;
  subject: string;
  author: { name: string; email: string };
  /** ISO 8601 with the author's offset. */
  authorDate: string;
  /** `git describe`, e.g. v3.7-rc1-12-gabcdef0. */
  describe: string;
}

export interface BisectReportInput {
  result: ReportResult;
  /** Every commit the result names or tested; a commit missing here is shown by sha only. */
  commits?: readonly ReportCommit[];
  /** Where the bisect can be seen (the service's page or API resource). */
  url?: string;
  /** What the oracle measures, as `Oracle['quantity']`: names the effect in the headline. */
  quantity?: { metric: string; unit?: string };
  /** The lab or machine the oracle ran on (JUnit `hostname`; default "localhost"). */
  host?: string;
  /**
   * When the bisect ended (ISO 8601). Default: the latest journal timestamp, so the same input
   * always gives the same report; the current time only when the journal has none.
   */
  finishedAt?: string;
}
