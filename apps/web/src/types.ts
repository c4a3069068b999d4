/**
 * The API's JSON as the page reads it (docs/service.md, /docs/json): only the fields the page
 * shows. The page is a client like the CLI; it does not import the server's packages.
 */
export type BisectStatus =
  | 'queued'
  | 'running'
  | 'found'
  | 'inconclusive'
  | 'not-distinguishable'
  | 'error'
  | 'cancelled';

export const BISECT_STATUSES: readonly BisectStatus[] = [
  'queued',
  'running',
  'found',
  'inconclusive',
  'not-distinguishable',
  'error',
  'cancelled',
];

export const isTerminal = (status: BisectStatus): boolean =>
  status !== 'queued' && status !== 'running';

export type Verdict = 'good' | 'bad' | 'skip';

export interface Progress {
  phase: string;
  commit: string;
  remaining: number;
  stepsLeft: number;
  /** The service's estimate of the time the bisect still takes (step events carry it). */
  secondsLeft?: number;
  at: string;
}

export interface RangeSummary {
  bad: string;
  goods: string[];
  commits: number;
  firstParent: boolean;
}

export interface BisectSummary {
  id: string;
  status: BisectStatus;
  submittedBy: string;
  repo: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  labels?: Record<string, string>;
  range: RangeSummary;
  progress?: Progress;
  culprit?: string | null;
}

export interface Sample {
  value?: number;
  exitCode?: number;
  seconds: number;
  hang?: boolean;
  detail?: Record<string, unknown>;
}

/** The rank test's one-sided p-values (RankTestEvidence of @kbisect/core). */
export interface PValues {
  /** The commit is worse than good: what a report quotes. */
  worseThanGood?: number;
  /** The commit is better than bad. */
  betterThanBad?: number;
}

export interface Evidence {
  build?: {
    ok: boolean;
    seconds: number;
    logTail?: string;
    timedOut?: boolean;
    signature?: string;
  };
  samples?: Sample[];
  decision?: {
    method: string;
    summary: string;
    pValues?: PValues;
    [key: string]: unknown;
  };
  skipReason?: string;
  badReason?: string;
  note?: string;
  testSeconds?: number;
}

export interface JournalEntry {
  commit: string;
  verdict: Verdict;
  source: 'oracle' | 'manual';
  at?: string;
  evidence?: Evidence;
}

export interface CommitDescription {
  sha: string;
  subject: string;
  author: { name: string; email: string };
  authorDate: string;
  describe: string;
}

export interface Confirmation {
  check: string;
  passed: boolean;
  [key: string]: unknown;
}

export interface ResultObject {
  status: string;
  culprit: string | null;
  candidates: string[];
  steps: number;
  oracleRuns: number;
  subject: string | null;
  log: string;
  reason?: string;
  effect?: string;
  warnings?: string[];
  confirmations?: Confirmation[];
  error?: string;
  seconds?: { build: number; test: number; total: number };
}

export interface BisectView {
  id: string;
  status: BisectStatus;
  spec: { repo: string; good: string | string[]; bad: string; labels?: Record<string, string> };
  range: RangeSummary;
  submittedBy: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  cancelRequested?: boolean;
  progress?: Progress;
  result?: ResultObject;
  commits?: CommitDescription[];
  /** The commit that fixed what the bisect found, when someone recorded it (kbisect fixed). */
  fix?: {
    commit: string;
    subject: string;
    describe: string;
    by: string;
    at: string;
    note?: string;
  };
  journal: JournalEntry[];
}

export interface TestedCommit extends CommitDescription {
  place: 'good' | 'range' | 'outside';
}

export interface Caller {
  authenticated: boolean;
  readsNeedToken: boolean;
  name: string;
  write: boolean;
  admin: boolean;
}

export interface WatchView {
  id: string;
  spec: { repo: string; branch: string; cron: string; labels?: Record<string, string> };
  createdBy: string;
  createdAt: string;
  nextRunAt?: string;
  lastGood?: { runId: string; commit: string; at: string };
}

export interface WatchRun {
  id: string;
  watchId: string;
  trigger: 'schedule' | 'manual';
  status: 'running' | 'good' | 'regression' | 'build-failed' | 'oracle-failed' | 'error';
  startedAt: string;
  finishedAt?: string;
  commit?: string;
  subject?: string;
  samples?: number[];
  median?: number;
  baseline?: { runId: string; commit: string; median: number };
  changePercent?: number;
  pValue?: number;
  bisectId?: string;
  message?: string;
}
