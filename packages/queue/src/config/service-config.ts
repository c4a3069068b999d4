import { homedir } from 'node:os';
import { join } from 'node:path';
import { type Static, Type } from 'typebox';
import { ARTIFACT_DEFAULTS } from '../artifacts/artifact-store.js';

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
    admin: Type.Optional(Type.Boolean({ default: false, description: 'may open /admin/queues' })),
  },
  { additionalProperties: false },
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
          default: false,
          description: 'also require a token to read bisects and follow them',
        }),
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
            build: Type.Integer({ minimum: 1, maximum: 256, default: 2 }),
            labTest: Type.Integer({ minimum: 1, maximum: 256, default: 1 }),
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
    cacheDir: Type.String({ minLength: 1, default: defaultCacheDir() }),
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
    artifacts: Type.Object(
      {
        maxBytes: Type.Integer({
          minimum: 1024 * 1024,
          maximum: 4 * 1024 ** 3,
          default: ARTIFACT_DEFAULTS.maxBytes,
          description:
            'the largest file one kernel artifact may be in Redis (an image, or the gzipped modules)',
        }),
        ttlSeconds: Type.Integer({
          minimum: 60,
          maximum: 30 * 24 * 3600,
          default: ARTIFACT_DEFAULTS.ttlSeconds,
          description:
            'an artifact no build or lab-test job used for this long leaves Redis; each use sets it again',
        }),
        chunkBytes: Type.Integer({
          minimum: 64 * 1024,
          maximum: 64 * 1024 * 1024,
          default: ARTIFACT_DEFAULTS.chunkBytes,
          description: 'bytes per Redis command when an artifact is sent or fetched',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
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
