import { CcacheMode, KernelBuildRequest } from '@kbisect/build';
import { OracleSpec } from '@kbisect/oracle';
import { CommandNetwork } from '@kbisect/sandbox';
import { type Static, Type } from 'typebox';
import { MailTarget } from './mail-target.js';

/**
 * The body of `POST /v1/bisects`: everything `kbisect run` takes on its command line, as
 * JSON. One schema serves the API's validation, the OpenAPI document, the CLI client and the
 * worker, so producer and consumer can never disagree about a field.
 */

const Ref = Type.String({
  minLength: 1,
  maxLength: 256,
  description: 'a commit-ish: sha, tag or branch, e.g. v3.6',
});

// No `default` keywords inside unions: Ajv ignores them there (and refuses them in strict
// mode); the defaults are applied where the spec is used and named in the description.
const Seconds = (description: string, fallback: number) =>
  Type.Number({
    exclusiveMinimum: 0,
    maximum: 7 * 24 * 3600,
    description: `${description} (default ${fallback})`,
  });

export const CommandBuildSpec = Type.Object(
  {
    command: Type.String({
      minLength: 1,
      maxLength: 4096,
      description: 'run with sh -c in the worktree of each commit; non-zero exit skips it',
    }),
    timeoutSeconds: Type.Optional(Seconds('a longer build is killed and skipped', 3600)),
    network: Type.Optional(CommandNetwork),
    ccache: Type.Optional({
      ...CcacheMode,
      description:
        'front the compiler with ccache: CC="ccache cc" and CXX="ccache c++" in the environment, ' +
        "for a build that honours CC and CXX (make's defaults, configure). auto (default): when " +
        'ccache is installed; off for a build that breaks with it',
    }),
  },
  { additionalProperties: false },
);

/** A kernel build, as @kbisect/build takes the request (KernelBuildRequest). */
const KernelBuild = Type.Object({ kernel: KernelBuildRequest }, { additionalProperties: false });

export const BuildSpec = Type.Union([CommandBuildSpec, KernelBuild], {
  description: 'a build command, or a kernel build (config, make targets, arch)',
});

export const LabSpec = Type.Union(
  [
    Type.Literal('local'),
    Type.Object(
      { pool: Type.String({ minLength: 1, maxLength: 128 }) },
      { additionalProperties: false },
    ),
    Type.Object(
      { name: Type.String({ minLength: 1, maxLength: 128 }) },
      { additionalProperties: false },
    ),
  ],
  {
    default: 'local',
    description: '`local`: the oracle runs on the worker host; or a lab pool, or a named lab',
  },
);

export const BootFailure = Type.Union([Type.Literal('skip'), Type.Literal('bad')], {
  description:
    'a kernel that does not boot on the lab: skip the commit (default), or count it bad to ' +
    'bisect the boot failure itself (needs a lab)',
});

export const DecisionSpec = Type.Object(
  {
    // No `default` keyword: Ajv would write it into every `decision` object, and an absent
    // direction must stay absent so that the oracle's measure can decide it.
    direction: Type.Optional(
      Type.Union([Type.Literal('higher-is-better'), Type.Literal('lower-is-better')], {
        description:
          'default higher-is-better; a splice-loopback oracle sets it from its measure ' +
          '(rate: higher-is-better, stalls: lower-is-better)',
      }),
    ),
    threshold: Type.Optional(
      Type.Number({ description: 'metric: a fixed good/bad boundary instead of calibrating' }),
    ),
    samples: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    maxSamples: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1000,
        description:
          'most oracle runs of a commit before it is skipped as unclear (default 40), raised up to 4x where good and bad are so near that the rank test needs more',
      }),
    ),
    calibrationSamples: Type.Optional(
      Type.Integer({
        minimum: 2,
        maximum: 1000,
        description:
          'oracle runs on each endpoint to calibrate good and bad, the cap (default 40); calibration stops at the first look (6, 12, 24...) that tells them apart, and goes on to 2x and 4x the cap where they differ but are too near for the rank test',
      }),
    ),
    alpha: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 })),
    minEffect: Type.Optional(
      Type.Number({
        minimum: 0,
        exclusiveMaximum: 1,
        description:
          'smallest relative difference of the endpoint medians worth bisecting (default 0.02); whether they differ at all is judged against their noise',
      }),
    ),
  },
  { additionalProperties: false },
);

/** The name of a recipe: also its key in the config's `recipes:`. */
export const RecipeName = Type.String({
  pattern: '^[A-Za-z0-9_.-]{1,64}$',
  description:
    'a recipe of the service config (`recipes:`): its build and oracle are used, and its name stays on the record',
});

const bisectFields = {
  repo: Type.String({
    minLength: 1,
    maxLength: 2048,
    description: 'a git URL, or a path on the service host',
  }),
  good: Type.Union([Ref, Type.Array(Ref, { minItems: 1, maxItems: 64 })], {
    description: 'one or more known good commits',
  }),
  bad: Ref,
  build: Type.Optional(BuildSpec),
  lab: Type.Optional(LabSpec),
  bootFailure: Type.Optional(BootFailure),
  oracle: OracleSpec,
  decision: Type.Optional(DecisionSpec),
  firstParent: Type.Optional(
    Type.Boolean({ default: false, description: 'follow only first parents of merges' }),
  ),
  confirm: Type.Optional(
    Type.Boolean({
      default: true,
      description: 're-test culprit, parent and revert before naming the culprit',
    }),
  ),
  speculate: Type.Optional(
    Type.Boolean({
      description:
        'as soon as a step picks its commit, build the two commits the next step may pick, on spare ' +
        'build capacity. Unset: on, except for a metric or splice-loopback oracle measured on lab ' +
        'local or on a lab with sharesBuildHost (builds would slow what it measures); true: on even ' +
        'then (a metric that load on the build host does not change); false: never',
    }),
  ),
  parallelTests: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 64,
      description:
        'commits tested at once, one per lab: each round tests that many (bestCommits), in about ' +
        'log_(k+1) N rounds. lab "local": test slots on the worker host, default 1, because only ' +
        'you know whether your oracle may run side by side; a pool: at most this many of its ' +
        'labs, default every lab of the pool that is up; a named lab: 1',
    }),
  ),
  labels: Type.Optional(
    Type.Record(
      Type.String({ pattern: '^[A-Za-z0-9_.:/-]{1,64}$' }),
      Type.String({ maxLength: 1024 }),
      {
        maxProperties: 32,
        additionalProperties: false,
        description: 'free-form, e.g. {"ci": "https://ci.example/run/42"}',
      },
    ),
  ),
  webhook: Type.Optional(
    Type.String({
      maxLength: 2048,
      pattern: '^https?://',
      description: 'POSTed the result object when the bisect ends',
    }),
  ),
  notify: Type.Optional(
    Type.Array(MailTarget, {
      maxItems: 16,
      description:
        "mail the result: a found culprit to its author, Cc its committer (the service's `mail` section)",
    }),
  ),
  recipe: Type.Optional(RecipeName),
};

export const BisectSpec = Type.Object(bisectFields, { additionalProperties: false });

/**
 * The body of `POST /v1/bisects`: a BisectSpec whose oracle (and build) may come from the
 * recipe it names. The API resolves the recipe before it stores the bisect, so every stored
 * spec is a whole BisectSpec.
 */
export const BisectBody = Type.Object(
  { ...bisectFields, oracle: Type.Optional(OracleSpec) },
  { additionalProperties: false },
);

export type BisectSpec = Static<typeof BisectSpec>;
export type BisectBody = Static<typeof BisectBody>;
export type BuildSpec = Static<typeof BuildSpec>;
export type LabSpec = Static<typeof LabSpec>;
export type BootFailure = Static<typeof BootFailure>;
export type DecisionSpec = Static<typeof DecisionSpec>;
