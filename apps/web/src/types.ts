/**
 * The API's JSON as the page reads it (docs/service.md, /docs/json): the types of the schemas
 * the API answers with (@kbisect/contracts) and of the evidence its journal holds
 * (@kbisect/core), so the page cannot drift from them. Types only: the bundle holds nothing
 * of the server's packages (esbuild drops `import type`). apps/web/tsconfig.json has Node's
 * types for that alone: tsc checks the server files these types are declared in.
 */
import type {
  BisectProgress,
  BisectStatus,
  CallerView,
  ResolvedRangeSummary,
} from '@kbisect/contracts';
import type { DecisionEvidence, RankTestEvidence } from '@kbisect/core';

export type {
  BisectStatus,
  BisectSummary,
  BisectView,
  CommitDescription,
  TestedCommit,
  WatchRun,
  WatchView,
} from '@kbisect/contracts';
export type { JournalEntry, Sample, Verdict } from '@kbisect/core';
export type Progress = BisectProgress;
export type RangeSummary = ResolvedRangeSummary;
export type Caller = CallerView;
/** The rank test's one-sided p-values, as its evidence holds them. */
export type PValues = Pick<RankTestEvidence['pValues'], 'worseThanGood' | 'betterThanBad'>;

/** The p-values of a decision, when the rank test made it. */
export const pValuesOf = (decision: DecisionEvidence | undefined): PValues | undefined =>
  decision?.method === 'rank-test' ? (decision as RankTestEvidence).pValues : undefined;

/** A record, so that a status the contracts add or drop is a type error here. */
const STATUS_FILTER: Record<BisectStatus, true> = {
  queued: true,
  running: true,
  found: true,
  inconclusive: true,
  'not-distinguishable': true,
  error: true,
  cancelled: true,
};

/** Every status, in the order the list's filter offers them. */
export const BISECT_STATUSES = Object.keys(STATUS_FILTER) as BisectStatus[];

export const isTerminal = (status: BisectStatus): boolean =>
  status !== 'queued' && status !== 'running';
