import {
  BisectProgress,
  BisectRecord,
  BisectStatus,
  CommitDescription,
  ResolvedRangeSummary,
  ResultObject,
} from '@kbisect/contracts';
import { Type } from 'typebox';

/** The body of every non-2xx answer. */
export const ErrorBody = Type.Object({
  statusCode: Type.Integer(),
  error: Type.String(),
  message: Type.String(),
  details: Type.Optional(
    Type.Array(Type.Object({ path: Type.String(), message: Type.String() }), {
      description: 'one line per field: its JSON path and what was expected',
    }),
  ),
});

export const BisectId = Type.String({
  pattern: '^[A-Za-z0-9_-]{1,64}$',
  description: 'as returned by POST /v1/bisects',
});

export const Created = Type.Object({
  id: Type.String(),
  url: Type.String(),
  status: BisectStatus,
});

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
  },
  { additionalProperties: true },
);

export const BisectView = Type.Object({
  ...BisectRecord.properties,
  url: Type.String(),
  journal: Type.Array(JournalEntryView),
});

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

export const BisectList = Type.Object({
  bisects: Type.Array(BisectSummary),
  next: Type.Optional(Type.String({ description: 'pass as ?cursor= for the next page' })),
});

export const ManualVerdict = Type.Object(
  {
    commit: Type.String({ minLength: 1, maxLength: 256, description: 'a sha or ref in the range' }),
    verdict: Type.Union([Type.Literal('good'), Type.Literal('bad'), Type.Literal('skip')]),
    note: Type.Optional(Type.String({ maxLength: 4096 })),
  },
  { additionalProperties: false },
);

export const VerdictRecorded = Type.Object({
  index: Type.Integer({ description: 'position of the entry in the journal' }),
  entry: JournalEntryView,
});

export { CommitDescription, ResultObject };

/** One POST of one webhook delivery (`DeliveryAttempt` of @kbisect/notify). */
export const DeliveryAttemptView = Type.Object({
  deliveryId: Type.String({ description: 'X-Kbisect-Delivery: the same on every retry' }),
  event: Type.String(),
  targetId: Type.String(),
  origin: Type.String({ description: "scheme, host and port only: a URL's path may hold a token" }),
  attempt: Type.Integer({ minimum: 1 }),
  at: Type.String({ description: 'ISO time the POST started' }),
  durationMs: Type.Number(),
  outcome: Type.Union([
    Type.Literal('delivered'),
    Type.Literal('retrying'),
    Type.Literal('failed'),
  ]),
  statusCode: Type.Optional(Type.Integer()),
  error: Type.Optional(Type.String()),
});

export const DeliveryList = Type.Object({
  id: Type.String(),
  deliveries: Type.Array(DeliveryAttemptView, { description: 'in the order they were attempted' }),
});
