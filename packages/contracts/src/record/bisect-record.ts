import { type Static, Type } from 'typebox';
import { ResultObject } from '../result/result-object.js';
import { BisectSpec } from '../spec/bisect-spec.js';
import { BisectFix } from './bisect-fix.js';

export const BISECT_STATUSES = [
  'queued',
  'running',
  'found',
  'inconclusive',
  'not-distinguishable',
  'error',
  'cancelled',
] as const;

export type BisectStatus = (typeof BISECT_STATUSES)[number];

/** A bisect in one of these states never changes again. */
export const TERMINAL_STATUSES: readonly BisectStatus[] = [
  'found',
  'inconclusive',
  'not-distinguishable',
  'error',
  'cancelled',
];

export const isTerminal = (status: BisectStatus): boolean => TERMINAL_STATUSES.includes(status);

export const BisectStatus = Type.Enum(BISECT_STATUSES);

/** The range as the refs named it when the bisect was submitted: later pushes change nothing. */
export const ResolvedRangeSummary = Type.Object({
  bad: Type.String(),
  goods: Type.Array(Type.String()),
  firstParent: Type.Boolean(),
  /** Commits in `bad ^good...`. */
  commits: Type.Integer(),
});

/** Where the bisect stands now, from the coordinator's last step event. */
export const BisectProgress = Type.Object({
  phase: Type.String(),
  commit: Type.String(),
  commits: Type.Optional(
    Type.Array(Type.String(), {
      description: 'every commit of the round under test when several are tested at once',
    }),
  ),
  remaining: Type.Integer({ description: 'commits that may still be the first bad one' }),
  stepsLeft: Type.Integer({
    description:
      'roughly how many more tests, as git bisect says; more rounds when several commits are tested at once',
  }),
  secondsLeft: Type.Optional(
    Type.Integer({
      minimum: 0,
      description:
        'roughly how long the bisect still takes, from the measured builds, deploys and runs; absent until something was measured',
    }),
  ),
  at: Type.String(),
});

/** A commit as a report shows it; kept for every commit the bisect named or tested. */
export const CommitDescription = Type.Object({
  sha: Type.String(),
  subject: Type.String(),
  author: Type.Object({ name: Type.String(), email: Type.String() }),
  authorDate: Type.String(),
  describe: Type.String(),
  committer: Type.Optional(Type.Object({ name: Type.String(), email: Type.String() })),
});

export const BisectRecord = Type.Object({
  id: Type.String(),
  status: BisectStatus,
  spec: BisectSpec,
  range: ResolvedRangeSummary,
  submittedBy: Type.String({ description: 'the name of the API token that submitted it' }),
  createdAt: Type.String(),
  startedAt: Type.Optional(Type.String()),
  finishedAt: Type.Optional(Type.String()),
  cancelRequested: Type.Optional(Type.Boolean()),
  progress: Type.Optional(BisectProgress),
  result: Type.Optional(ResultObject),
  commits: Type.Optional(Type.Array(CommitDescription)),
  fix: Type.Optional(BisectFix),
});

export type ResolvedRangeSummary = Static<typeof ResolvedRangeSummary>;
export type BisectProgress = Static<typeof BisectProgress>;
export type CommitDescription = Static<typeof CommitDescription>;
export type BisectRecord = Omit<Static<typeof BisectRecord>, 'result' | 'status'> & {
  status: BisectStatus;
  result?: ResultObject;
};
