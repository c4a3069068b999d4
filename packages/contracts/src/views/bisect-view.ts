import type { JournalEntry } from '@kbisect/core';
import { type Static, Type } from 'typebox';
import {
  BisectProgress,
  BisectRecord,
  BisectStatus,
  CommitDescription,
  ResolvedRangeSummary,
} from '../record/bisect-record.js';

/*
 * The API's answers about bisects, as its routes declare them and its clients (the web page,
 * the CLI) read them: one definition, so a client's types cannot drift from the service's.
 */

/** One verdict of the journal: commit, verdict, who decided, and the evidence. */
export const JournalEntryView = Type.Object(
  {
    commit: Type.String(),
    verdict: Type.Union([Type.Literal('good'), Type.Literal('bad'), Type.Literal('skip')]),
    source: Type.Union([Type.Literal('oracle'), Type.Literal('manual')]),
    at: Type.Optional(Type.String()),
    evidence: Type.Optional(
      Type.Unknown({ description: 'build, samples with timings, decision, skip reason' }),
    ),
    round: Type.Optional(
      Type.Integer({
        minimum: 0,
        description:
          "several commits tested at once: the index of the round's first entry; a round's entries were recorded together in a fixed order",
      }),
    ),
    retest: Type.Optional(
      Type.Union([Type.Literal('culprit-is-bad'), Type.Literal('parent-is-good')], {
        description:
          "a confirmation re-test that measured the opposite of this commit's earlier verdict: this entry supersedes it and the bisect went on from it",
      }),
    ),
  },
  { additionalProperties: true },
);

/** `GET /v1/bisects/:id`. */
export const BisectView = Type.Object({
  ...BisectRecord.properties,
  url: Type.String(),
  journal: Type.Array(JournalEntryView),
});

/** One bisect of `GET /v1/bisects`. */
export const BisectSummary = Type.Object({
  id: Type.String(),
  url: Type.String(),
  status: BisectStatus,
  submittedBy: Type.String({ description: 'the owner: the name of the token that submitted it' }),
  repo: Type.String({ description: 'the repository, as the spec names it' }),
  createdAt: Type.String(),
  startedAt: Type.Optional(Type.String({ description: 'when a worker took it' })),
  finishedAt: Type.Optional(Type.String()),
  labels: Type.Optional(Type.Record(Type.String(), Type.String())),
  range: ResolvedRangeSummary,
  progress: Type.Optional(BisectProgress),
  culprit: Type.Optional(Type.Union([Type.String(), Type.Null()])),
});

/** `GET /v1/bisects`. */
export const BisectList = Type.Object({
  bisects: Type.Array(BisectSummary),
  next: Type.Optional(Type.String({ description: 'pass as ?cursor= for the next page' })),
});

/** A commit a bisect tested, and where it lies. */
export const TestedCommit = Type.Object({
  ...CommitDescription.properties,
  place: Type.Union([Type.Literal('good'), Type.Literal('range'), Type.Literal('outside')], {
    description:
      'a good endpoint, a commit of `bad ^good...` (the bad endpoint included), or neither ' +
      '(a commit marked by hand that the range no longer holds)',
  }),
});

/** `GET /v1/bisects/:id/tested-commits`. */
export const TestedCommits = Type.Object({
  id: Type.String(),
  commits: Type.Array(TestedCommit, {
    description: 'every commit the journal names, oldest first (history order)',
  }),
});

/** The journal's evidence and the result typed as the core and the record type them. */
export type BisectView = BisectRecord & { url: string; journal: JournalEntry[] };
export type BisectSummary = Static<typeof BisectSummary>;
export type TestedCommit = Static<typeof TestedCommit>;
