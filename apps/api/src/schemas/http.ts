import {
  BisectList,
  BisectStatus,
  BisectView,
  CommitDescription,
  JournalEntryView,
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

export { BisectList, BisectView, CommitDescription, ResultObject };

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
