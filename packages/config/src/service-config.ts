import { homedir } from 'node:os';
import { join } from 'node:path';
import { BuildSpec } from '@kbisect/contracts';
import { MailConfig } from '@kbisect/notify/config';
import { OracleSpec } from '@kbisect/oracle';
import { SandboxConfig } from '@kbisect/sandbox';
import { type Static, Type } from 'typebox';
import { ArtifactConfig } from './artifact-config.js';

const defaultCacheDir = () =>
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'kbisect');

const Milliseconds = (fallback: number, description: string) =>
  Type.Integer({ minimum: 10, maximum: 24 * 3600 * 1000, default: fallback, description });

export const ApiToken = Type.Object(
  {
    name: Type.String({
      pattern: '^[A-Za-z0-9_.@-]{1,64}$',
      description: 'who uses it (a CI system, a person); logged instead of the token',
    }),
    token: Type.String({ minLength: 8, maxLength: 512 }),
    write: Type.Optional(Type.Boolean({ default: true, description: 'may start, cancel, mark' })),
    admin: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'may open /admin/queues, and cancel, mark or delete what others own',
      }),
    ),
    repos: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 2048 }), {
        description:
          'repository patterns this token may bisect and watch (`*` within a path segment, ' +
          '`**` across segments); absent: any repository the service allows (repositories.allow)',
      }),
    ),
    labs: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 128 }), {
        description:
          'lab names this token may use (`local` is the worker host); absent, with `pools` also absent: any',
      }),
    ),
    pools: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 128 }), {
        description: 'lab pools this token may use; absent, with `labs` also absent: any',
      }),
    ),
    commands: Type.Optional(
      Type.Union([Type.Literal('any'), Type.Literal('recipes')], {
        default: 'any',
        description:
          '`recipes`: no build or oracle command of its own, only recipes from the config (and the splice-loopback oracle)',
      }),
    ),
  },
  { additionalProperties: false },
);

/**
 * A build and/or oracle an operator writes once in the config; a bisect or a watch names it
 * (`recipe: "name"`) instead of giving commands, which is how a token limited to recipes works.
 */
export const Recipe = Type.Object(
  {
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    build: Type.Optional(BuildSpec),
    oracle: Type.Optional(OracleSpec),
  },
  { additionalProperties: false },
);

/** The git transports a repository may use; `ext` and `fd` run programs, and never are. */
export const GIT_TRANSPORTS = ['file', 'https', 'http', 'ssh', 'git'] as const;

/** Faults of the machines rather than the commit: retries, and the free-space floor. */
const Infrastructure = Type.Object(
  {
    retryFirstMs: Milliseconds(
      15_000,
      'a build or test that failed for the infrastructure (disk full, read-only or unwritable cache, lab unreachable) is tried again after this, then after twice as long each time',
    ),
    retryMaxMs: Milliseconds(5 * 60_000, 'the longest wait between two tries'),
    retryForMs: Milliseconds(
      30 * 60_000,
      'tries stop once their waits add up to this; the bisect ends in error and can be resumed',
    ),
    minFreeMb: Type.Integer({
      minimum: 0,
      maximum: 1024 * 1024,
      default: 512,
      description:
        'free space in cacheDir below this makes /readyz answer 503 with the figure (0: no check)',
    }),
  },
  { additionalProperties: false, default: {} },
);

/**
 * The service configuration: one YAML or JSON file, then environment overrides (see
 * `ENV_OVERRIDES`), then command-line flags. Every field has a default but the tokens.
 */
export const ServiceConfig = Type.Object(
  {
    redis: Type.Object(
      {
        url: Type.String({ default: 'redis://127.0.0.1:6379', pattern: '^rediss?://' }),
        prefix: Type.String({
          pattern: '^[A-Za-z0-9_.-]{1,64}$',
          default: 'kbisect',
          description: 'every key and queue of this deployment starts with it',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    api: Type.Object(
      {
        host: Type.String({ default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
        publicUrl: Type.Optional(
          Type.String({ pattern: '^https?://', description: 'base of the URLs the API returns' }),
        ),
        bodyLimitBytes: Type.Integer({ minimum: 1024, default: 1024 * 1024 }),
      },
      { additionalProperties: false, default: {} },
    ),
    auth: Type.Object(
      {
        tokens: Type.Array(ApiToken, { default: [] }),
        readsNeedToken: Type.Boolean({
          default: true,
          description:
            'reads (bisects, logs, events, /metrics, /docs) need a token; false opens them to anyone who can reach the API',
        }),
        metricsToken: Type.Optional(
          Type.String({
            minLength: 8,
            maxLength: 512,
            description: 'a bearer token that may read /metrics only, for a Prometheus scraper',
          }),
        ),
        disabled: Type.Boolean({
          default: false,
          description: 'no tokens at all: only for a trusted single-user machine',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    worker: Type.Object(
      {
        concurrency: Type.Object(
          {
            coordinator: Type.Integer({ minimum: 1, maximum: 1000, default: 8 }),
            build: Type.Integer({
              minimum: 1,
              maximum: 256,
              default: 2,
              description:
                'builds this worker runs at once; for kernels also the O= trees kept per build spec (a source checkout and a build directory each, docs/service.md)',
            }),
            labTest: Type.Integer({ minimum: 1, maximum: 256, default: 1 }),
            // Runs of different watches side by side; runs of one watch never (WatchRunLease).
            watch: Type.Integer({ minimum: 1, maximum: 256, default: 4 }),
          },
          { additionalProperties: false, default: {} },
        ),
        lockDurationMs: Milliseconds(
          30_000,
          'a job whose worker stops renewing its lock this long is taken over',
        ),
        stalledIntervalMs: Milliseconds(15_000, 'how often workers look for stalled jobs'),
        maxStalledCount: Type.Integer({ minimum: 0, maximum: 1000, default: 5 }),
        shutdownGraceMs: Milliseconds(10_000, 'SIGTERM: how long running steps may finish'),
        buildProgressMs: Milliseconds(
          30_000,
          "a running build logs its time (a kernel's, objects compiled) this often",
        ),
        heartbeatFile: Type.Optional(
          Type.String({
            minLength: 1,
            description:
              'touched every 10 s while Redis answers: a container healthcheck reads its age',
          }),
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    sandbox: SandboxConfig,
    cacheDir: Type.String({ minLength: 1, default: defaultCacheDir() }),
    repositories: Type.Object(
      {
        allow: Type.Array(Type.String({ minLength: 1, maxLength: 2048 }), {
          default: ['/**', 'https://**'],
          description:
            'the repositories a bisect or watch may name: absolute-path or URL patterns (`*` within a segment, `**` across)',
        }),
        protocols: Type.Array(Type.Union(GIT_TRANSPORTS.map((t) => Type.Literal(t))), {
          default: ['file', 'https'],
          description: 'git transports allowed (GIT_ALLOW_PROTOCOL); ext and fd never are',
        }),
        networkTimeoutSeconds: Type.Integer({
          minimum: 1,
          maximum: 24 * 3600,
          default: 600,
          description: 'a clone or fetch running longer is killed (its whole process group)',
        }),
        lowSpeedBytesPerSecond: Type.Integer({
          minimum: 1,
          default: 1000,
          description: 'with lowSpeedSeconds: an http(s) transfer slower than this is aborted',
        }),
        lowSpeedSeconds: Type.Integer({
          minimum: 1,
          maximum: 3600,
          default: 30,
          description: 'how long a transfer may stay below lowSpeedBytesPerSecond',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    recipes: Type.Record(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }), Recipe, {
      default: {},
      description: 'named build and oracle definitions a bisect or watch may use by name',
    }),
    watches: Type.Object(
      {
        minIntervalSeconds: Type.Integer({
          minimum: 1,
          default: 300,
          description: 'a watch cron that fires more often than this is refused',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    labs: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description:
        'lab config files (lab.json, docs/labs.md): the labs a bisect may name with `lab: {name}`',
    }),
    kernelBuildDir: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'kernel build trees, artifacts and ccache (default <cacheDir>/kernel)',
      }),
    ),
    webhooks: Type.Object(
      {
        secret: Type.Optional(
          Type.String({
            minLength: 16,
            maxLength: 512,
            description:
              'signs every webhook POST (HMAC-SHA256) unless `secrets` has one for the target; without it, bisects with a webhook are refused',
          }),
        ),
        secrets: Type.Record(
          Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' }),
          Type.String({ minLength: 16, maxLength: 512 }),
          {
            default: {},
            description:
              'per-target secrets by target id: a watch `notify` id, or `bisect-<16 hex>` for a bisect webhook URL (webhookTargetId)',
          },
        ),
        attempts: Type.Integer({
          minimum: 1,
          maximum: 50,
          default: 8,
          description: 'POSTs per delivery at most',
        }),
        backoffMs: Milliseconds(5000, 'wait before the first retry, doubled for each further one'),
        timeoutMs: Milliseconds(10_000, 'deadline of one POST, connect to the last byte'),
      },
      { additionalProperties: false, default: {} },
    ),
    mail: Type.Optional(MailConfig),
    artifacts: ArtifactConfig,
    infrastructure: Infrastructure,
    events: Type.Object(
      { maxLen: Type.Integer({ minimum: 100, maximum: 10_000_000, default: 10_000 }) },
      { additionalProperties: false, default: {} },
    ),
    idempotency: Type.Object(
      { ttlSeconds: Type.Integer({ minimum: 60, default: 24 * 3600 }) },
      { additionalProperties: false, default: {} },
    ),
    log: Type.Object(
      {
        level: Type.Enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], {
          default: 'info',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);

export type ServiceConfig = Static<typeof ServiceConfig>;
export type ApiToken = Static<typeof ApiToken>;
export type Recipe = Static<typeof Recipe>;
export type GitTransport = (typeof GIT_TRANSPORTS)[number];
