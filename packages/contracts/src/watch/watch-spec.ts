import { OracleSpec } from '@kbisect/oracle';
import { type Static, type TSchema, Type } from 'typebox';
import { BuildSpec, DecisionSpec, LabSpec, RecipeName } from '../spec/bisect-spec.js';
import { MailTarget } from '../spec/mail-target.js';

/**
 * The body of `POST /v1/watches`: a branch measured on a schedule. The build, lab, oracle and
 * decision fields are those of `POST /v1/bisects`; they are used as they are for the nightly
 * measurement and for the bisect a regression starts.
 */

const Labels = Type.Record(
  Type.String({ pattern: '^[A-Za-z0-9_.:/-]{1,64}$' }),
  Type.String({ maxLength: 1024 }),
  { maxProperties: 30, description: 'copied to the bisects the watch starts' },
);

export const RegressionRule = Type.Object(
  {
    metric: Type.Literal('median', { description: 'the statistic compared (median)' }),
    maxDropPercent: Type.Number({
      minimum: 0,
      maximum: 100,
      description:
        'a run whose median is worse than the last good run by more than this is a regression',
    }),
    alpha: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        exclusiveMaximum: 1,
        description:
          'significance of the one-sided rank test against the last good run (default 0.05)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type RegressionRule = Static<typeof RegressionRule>;

/** A webhook that gets `watch.regression`, signed with its own or the default secret. */
export const WebhookNotifyTarget = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' }),
    url: Type.String({ maxLength: 2048, pattern: '^https?://' }),
  },
  { additionalProperties: false },
);
export type WebhookNotifyTarget = Static<typeof WebhookNotifyTarget>;

/**
 * Where a watch reports: a webhook (`watch.regression` of each run), or a mail target that
 * the bisects this watch starts carry as their `notify` (the culprit's report mail).
 */
export const NotifyTarget = Type.Union([WebhookNotifyTarget, MailTarget]);
export type NotifyTarget = Static<typeof NotifyTarget>;

export const isWebhookTarget = (target: NotifyTarget): target is WebhookNotifyTarget =>
  'url' in target;
export const isMailTarget = (target: NotifyTarget): target is MailTarget => 'mail' in target;

const Cron = Type.String({
  minLength: 9,
  maxLength: 128,
  description: 'cron expression, 5 fields (or 6 with seconds first), e.g. "0 2 * * *"',
});
const Tz = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'IANA time zone of the cron expression (default UTC), e.g. Europe/Paris',
});
const Samples = Type.Integer({
  minimum: 2,
  maximum: 200,
  description: 'oracle runs per night on the tip (default 5)',
});

const fields = {
  repo: Type.String({
    minLength: 1,
    maxLength: 2048,
    description: 'a git URL, or a path on the service host',
  }),
  branch: Type.String({ minLength: 1, maxLength: 256, description: 'the branch measured' }),
  cron: Cron,
  tz: Type.Optional(Tz),
  build: Type.Optional(BuildSpec),
  lab: Type.Optional(LabSpec),
  oracle: OracleSpec,
  decision: Type.Optional(DecisionSpec),
  samples: Type.Optional(Samples),
  regression: Type.Optional(RegressionRule),
  firstParent: Type.Optional(Type.Boolean()),
  confirm: Type.Optional(Type.Boolean()),
  labels: Type.Optional(Labels),
  notify: Type.Optional(Type.Array(NotifyTarget, { maxItems: 16 })),
  recipe: Type.Optional(RecipeName),
};

export const WatchSpec = Type.Object(fields, { additionalProperties: false });
export type WatchSpec = Static<typeof WatchSpec>;

/** The body of `POST /v1/watches`: the oracle (and build) may come from a named recipe. */
export const WatchBody = Type.Object(
  { ...fields, oracle: Type.Optional(OracleSpec) },
  { additionalProperties: false },
);
export type WatchBody = Static<typeof WatchBody>;

/**
 * A field of a patch without its schema default: the API's validator writes defaults into the
 * body, and a patch of the cron alone must not set `lab` back to `local`.
 */
function withoutDefault<T extends TSchema>(schema: T): T {
  const { default: _default, ...rest } = schema as T & { default?: unknown };
  return rest as T;
}

/** Every field of the spec, none with a default (see `withoutDefault`). */
const patchFields = Object.fromEntries(
  Object.entries(fields).map(([name, schema]) => [name, withoutDefault(schema)]),
) as typeof fields;

/** `PATCH /v1/watches/:id`: any field of the spec; the others keep their value. */
export const WatchPatch = Type.Partial(Type.Object(patchFields), {
  additionalProperties: false,
  minProperties: 1,
});
export type WatchPatch = Static<typeof WatchPatch>;

export const DEFAULT_WATCH_SAMPLES = 5;
export const DEFAULT_REGRESSION: RegressionRule = { metric: 'median', maxDropPercent: 5 };
export const DEFAULT_WATCH_ALPHA = 0.05;

/** The last run that was good: what the next runs are compared with. */
export const LastGood = Type.Object({
  runId: Type.String(),
  commit: Type.String(),
  at: Type.String(),
});

export const WatchRecord = Type.Object({
  id: Type.String(),
  spec: WatchSpec,
  createdBy: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  lastGood: Type.Optional(LastGood),
});
export type WatchRecord = Static<typeof WatchRecord>;

export const WATCH_RUN_STATUSES = [
  'running',
  'good',
  'regression',
  'build-failed',
  'oracle-failed',
  'error',
] as const;
export type WatchRunStatus = (typeof WATCH_RUN_STATUSES)[number];

/**
 * The kernel a watch run built from the tip: its release (what `uname -r` says on the lab),
 * the image by content (its name in the artifact store), the .text signature (equal
 * signatures mean the same code) and how long the build took.
 */
export const NightlyKernel = Type.Object({
  release: Type.String(),
  sha256: Type.String(),
  signature: Type.Optional(Type.String()),
  buildSeconds: Type.Number(),
});
export type NightlyKernel = Static<typeof NightlyKernel>;

/** One night of a watch: the tip measured, its figures, and what came of them. */
export const WatchRun = Type.Object({
  id: Type.String(),
  watchId: Type.String(),
  trigger: Type.Union([Type.Literal('schedule'), Type.Literal('manual')]),
  status: Type.Union([
    Type.Literal('running'),
    Type.Literal('good'),
    Type.Literal('regression'),
    Type.Literal('build-failed'),
    Type.Literal('oracle-failed'),
    Type.Literal('error'),
  ]),
  /** When the scheduler meant it to run (ms since the epoch), for scheduled runs. */
  scheduledFor: Type.Optional(Type.Number()),
  startedAt: Type.String(),
  finishedAt: Type.Optional(Type.String()),
  commit: Type.Optional(Type.String()),
  subject: Type.Optional(Type.String()),
  buildSeconds: Type.Optional(Type.Number()),
  buildLogTail: Type.Optional(Type.String()),
  /** The night's kernel (kernel builds): what the lab booted, for a later bisect across nights. */
  kernel: Type.Optional(NightlyKernel),
  /** The oracle's values (exit codes for a command oracle): the night's baseline. */
  samples: Type.Optional(Type.Array(Type.Number())),
  median: Type.Optional(Type.Number()),
  /** The comparison with the last good run. */
  baseline: Type.Optional(
    Type.Object({ runId: Type.String(), commit: Type.String(), median: Type.Number() }),
  ),
  changePercent: Type.Optional(Type.Number()),
  pValue: Type.Optional(Type.Number()),
  bisectId: Type.Optional(Type.String()),
  notified: Type.Optional(Type.Array(Type.String())),
  message: Type.Optional(Type.String()),
});
export type WatchRun = Static<typeof WatchRun>;

/** A job of the watch queue: one run of one watch. */
export const WatchJob = Type.Object(
  {
    watchId: Type.String(),
    trigger: Type.Union([Type.Literal('schedule'), Type.Literal('manual')]),
  },
  { additionalProperties: false },
);
export type WatchJob = Static<typeof WatchJob>;
