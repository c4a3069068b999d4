import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type OpenApi, openApi } from '@kbisect/api';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoopbackProject, type LoopbackProject } from '../fixtures/loopback-project.js';
import { deleteKeys, TEST_REDIS_URL, uniquePrefix } from '../support/test-redis.js';
import {
  brokenValue,
  type JsonSchema,
  type Overrides,
  validValue,
} from './support/openapi-arbitraries.js';
import { RECORD_ORACLE } from './support/service-harness.js';
import { type TestTokens, testTokens, writeTestConfig } from './support/test-config.js';

/**
 * A bounded property-based fuzz of every route of the API's own OpenAPI document, against a
 * real app on the real Redis (no worker): requests whose path, query, headers and body come
 * from each route's schemas, most of them broken in one place, with every kind of token.
 * No answer may be a 5xx or a hang; every 4xx is the one error body and says what was wrong:
 * a 400 or 422 names the field, a 401/403/404/409 says why.
 */
const REQUESTS_PER_ROUTE = 70;
/** The whole fuzz stops sending after this, whatever is left (it fits the default suite). */
const TIME_BUDGET_MS = 40_000;
/** One answer taking longer is a hang: a bug of its own. */
const ANSWER_WITHIN_MS = 10_000;
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

let work: string;
let project: LoopbackProject;
let tokens: TestTokens;
let api: OpenApi;
let prefix: string;
const realIds = { bisect: '', watch: '' };

interface Operation {
  method: string;
  path: string;
  parameters: { in: string; name: string; schema: JsonSchema; required?: boolean }[];
  body?: JsonSchema;
}

interface FuzzRequest {
  operation: Operation;
  url: string;
  headers: Record<string, string>;
  payload?: string;
  /** Names the request used (body keys at any depth, query and header names, `id`). */
  fields: string[];
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kbisect-fuzz-'));
  project = createLoopbackProject(join(work, 'repo'));
  tokens = testTokens();
  prefix = uniquePrefix('fuzz');
  const { config } = await writeTestConfig(work, {
    redisUrl: TEST_REDIS_URL,
    prefix,
    cacheDir: join(work, 'cache'),
    tokens,
    webhooks: { secret: 'fuzz-webhook-signing-secret' },
  });
  api = await openApi({ ...config, log: { level: 'silent' } });
  await api.app.ready();
  // One real bisect and one real watch, so that id routes are reached past their 404s.
  const bisect = await api.app.inject({
    method: 'POST',
    url: '/v1/bisects',
    headers: { authorization: `Bearer ${tokens.writer}` },
    payload: {
      repo: project.dir,
      good: 'v1.0',
      bad: 'main',
      build: { command: 'make -s' },
      oracle: { kind: 'command', command: RECORD_ORACLE },
    },
  });
  expect(bisect.statusCode, bisect.body).toBe(201);
  realIds.bisect = bisect.json().id;
  const watch = await api.app.inject({
    method: 'POST',
    url: '/v1/watches',
    headers: { authorization: `Bearer ${tokens.writer}` },
    payload: {
      repo: project.dir,
      branch: 'main',
      cron: '0 3 * * *',
      build: { command: 'make -s' },
      oracle: { kind: 'command', command: RECORD_ORACLE },
      decision: {},
    },
  });
  expect(watch.statusCode, watch.body).toBe(201);
  realIds.watch = watch.json().id;
});

afterAll(async () => {
  await api?.app.close();
  await deleteKeys(TEST_REDIS_URL, prefix);
  rmSync(work, { recursive: true, force: true });
});

function operationsOf(document: {
  paths: Record<string, Record<string, Record<string, unknown>>>;
}): Operation[] {
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const body = (
        operation.requestBody as { content?: Record<string, { schema?: JsonSchema }> } | undefined
      )?.content?.['application/json']?.schema;
      operations.push({
        method: method.toUpperCase(),
        path,
        parameters: (operation.parameters as Operation['parameters'] | undefined) ?? [],
        ...(body ? { body } : {}),
      });
    }
  }
  return operations;
}

/** What to use instead of random strings where a random one would leave loopback or say nothing. */
function overrides(): Overrides {
  const ref = fc.constantFrom(
    'v1.0',
    'main',
    project.culprit,
    'no-such-ref',
    '--output=x',
    'HEAD~1',
  );
  const url = fc.constantFrom('http://127.0.0.1:9/hook', 'https://example.invalid/x', 'not a url');
  return {
    // git would take a random `host:path` for ssh: only local paths and dead file URLs.
    repo: fc.constantFrom(
      project.dir,
      join(work, 'no-such-repo'),
      'relative/repo',
      'file:///nonexistent/repo.git',
    ),
    good: fc.oneof(ref, fc.array(ref, { minLength: 1, maxLength: 3 })),
    bad: ref,
    commit: ref,
    branch: fc.constantFrom('main', 'no-such-branch', 'v1.0'),
    command: fc.constantFrom('true', 'make -s', 'exit 1'),
    url,
    webhook: url,
    cron: fc.constantFrom('0 3 * * *', '*/5 * * * *', 'nope', '* * * * * *', '61 * * * *'),
    tz: fc.constantFrom('UTC', 'Europe/Paris', 'Mars/Olympus'),
  };
}

/**
 * A body each writing route accepts, by route: a generated body's field laid over it reaches
 * past the schema (refs resolved, records written), where random bodies seldom get.
 */
function examples(): Record<string, Record<string, unknown>> {
  const bisect = {
    repo: project.dir,
    good: 'v1.0',
    bad: 'main',
    build: { command: 'make -s' },
    oracle: { kind: 'command', command: RECORD_ORACLE },
  };
  return {
    'POST /v1/bisects': bisect,
    'POST /v1/bisects/{id}/verdicts': { commit: 'v1.0', verdict: 'good' },
    'POST /v1/watches': {
      repo: project.dir,
      branch: 'main',
      cron: '0 3 * * *',
      build: bisect.build,
      oracle: bisect.oracle,
      decision: {},
    },
    'PATCH /v1/watches/{id}': { cron: '0 4 * * *' },
  };
}

function keysOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysOf);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [k, ...keysOf(v)]);
}

function requestsFor(operation: Operation, count: number, seed: number): FuzzRequest[] {
  const fields = overrides();
  const token = fc.constantFrom<string | undefined>(
    tokens.writer,
    tokens.writer,
    tokens.admin,
    tokens.reader,
    undefined,
    'not-a-token',
  );
  const idParameter = operation.parameters.find((p) => p.in === 'path' && p.name === 'id');
  const real = operation.path.startsWith('/v1/watches') ? realIds.watch : realIds.bisect;
  // A real bisect's event stream never ends while it runs: only unknown ids for that route.
  const streams = operation.path.endsWith('/events');
  const id = fc.oneof(
    ...(streams ? [] : [fc.constant(real)]),
    validValue(idParameter?.schema ?? { type: 'string' }) as fc.Arbitrary<string>,
    fc.string({ maxLength: 80 }),
  );
  const inQuery = operation.parameters.filter((p) => p.in === 'query');
  const querySchema: JsonSchema = {
    type: 'object',
    properties: Object.fromEntries(inQuery.map((p) => [p.name, p.schema])),
    required: inQuery.filter((p) => p.required).map((p) => p.name),
  };
  const query = inQuery.length
    ? fc.oneof(validValue(querySchema, fields), brokenValue(querySchema, fields))
    : fc.constant({});
  const inHeaders = operation.parameters.filter((p) => p.in === 'header');
  const headers = fc.record(
    Object.fromEntries(
      inHeaders.map((p) => [p.name, fc.oneof(validValue(p.schema), fc.string({ maxLength: 30 }))]),
    ),
    { requiredKeys: [] },
  );
  type Body = { kind: 'json'; value: unknown } | { kind: 'raw'; text: string; type: string };
  const example = examples()[`${operation.method} ${operation.path}`];
  const nearExample = (schema: JsonSchema) =>
    fc.tuple(validValue(schema, fields), fc.nat()).map(([generated, n]) => {
      if (!example || generated === null || typeof generated !== 'object') return generated;
      const keys = Object.keys(generated);
      const key = keys[n % Math.max(keys.length, 1)];
      return key === undefined
        ? example
        : { ...example, [key]: (generated as Record<string, unknown>)[key] };
    });
  const body: fc.Arbitrary<Body | undefined> = operation.body
    ? fc.oneof(
        {
          weight: 2,
          arbitrary: nearExample(operation.body).map((value) => ({ kind: 'json', value }) as Body),
        },
        {
          weight: 2,
          arbitrary: validValue(operation.body, fields).map(
            (value) => ({ kind: 'json', value }) as Body,
          ),
        },
        {
          weight: 4,
          arbitrary: brokenValue(operation.body, fields).map(
            (value) => ({ kind: 'json', value }) as Body,
          ),
        },
        {
          weight: 1,
          arbitrary: fc
            .tuple(
              fc.constantFrom('{"repo":', '[]', 'null', '"text"', 'not json', ''),
              fc.constantFrom(
                'application/json',
                'text/plain',
                'application/x-www-form-urlencoded',
              ),
            )
            .map(([text, type]) => ({ kind: 'raw', text, type }) as Body),
        },
      )
    : fc.constant(undefined);
  const request = fc.record({ token, id, query, headers, body });
  return fc.sample(request, { numRuns: count, seed }).map((r) => {
    const path = operation.path.replace('{id}', encodeURIComponent(r.id));
    // A query is always name=value pairs: a broken one that lost its shape is no query.
    const queryFields =
      r.query !== null && typeof r.query === 'object' && !Array.isArray(r.query)
        ? (r.query as Record<string, unknown>)
        : {};
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(queryFields)) {
      search.append(name, typeof value === 'string' ? value : JSON.stringify(value));
    }
    const sent: Record<string, string> = {};
    for (const [name, value] of Object.entries(r.headers)) {
      // Header values cannot carry control characters: an HTTP client could not send them.
      if (typeof value === 'string' && /^[\t\x20-\x7e]*$/.test(value)) sent[name] = value;
    }
    if (r.token) sent.authorization = `Bearer ${r.token}`;
    let payload: string | undefined;
    if (r.body?.kind === 'json') {
      payload = JSON.stringify(r.body.value) ?? 'null';
      sent['content-type'] = 'application/json';
    } else if (r.body?.kind === 'raw') {
      payload = r.body.text;
      sent['content-type'] = r.body.type;
    }
    const query = search.toString();
    return {
      operation,
      url: query ? `${path}?${query}` : path,
      headers: sent,
      ...(payload !== undefined ? { payload } : {}),
      fields: [
        'id',
        ...Object.keys(queryFields),
        ...Object.keys(r.headers),
        ...(r.body?.kind === 'json' ? keysOf(r.body.value) : []),
      ],
    };
  });
}

/** What is wrong with an answer, or undefined when it is as the API promises. */
function problemWith(request: FuzzRequest, response: LightMyRequestResponse): string | undefined {
  const status = response.statusCode;
  if (status >= 500) return `answered ${status}`;
  if (status < 400) return undefined;
  let body: {
    statusCode?: unknown;
    error?: unknown;
    message?: unknown;
    details?: { path: string }[];
  };
  try {
    body = response.json();
  } catch {
    return `a ${status} whose body is not JSON`;
  }
  if (body.statusCode !== status || typeof body.message !== 'string' || body.message === '') {
    return `a ${status} without the error body {statusCode, error, message}`;
  }
  const message = body.message;
  if (status === 400 || status === 422) {
    const named =
      (body.details ?? []).some((d) => typeof d.path === 'string' && d.path !== '') ||
      /\b(body|querystring|params|headers)\b/i.test(message) ||
      request.fields.some((field) => field.length > 1 && message.includes(field));
    return named ? undefined : `a ${status} that names no field: ${message}`;
  }
  // 401, 403, 404, 409, 413, 415: the message says why, not just the status text.
  return message.length >= 12 && message !== body.error
    ? undefined
    : `a ${status} that does not say why: ${message}`;
}

function answerWithin(request: FuzzRequest): Promise<LightMyRequestResponse> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    api.app
      .inject({
        method: request.operation.method as 'GET',
        url: request.url,
        headers: request.headers,
        ...(request.payload !== undefined ? { payload: request.payload } : {}),
      })
      .finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no answer')), ANSWER_WITHIN_MS);
    }),
  ]);
}

describe('every route of the OpenAPI document, fuzzed from its schemas', () => {
  it('answers no 5xx and never hangs, and every 4xx says which field or why', async () => {
    const operations = operationsOf(api.app.swagger() as never);
    expect(operations.length).toBeGreaterThanOrEqual(19);
    const planned = operations.map((operation, i) =>
      requestsFor(operation, REQUESTS_PER_ROUTE, SEED + i),
    );
    const started = Date.now();
    const statuses = new Map<string, Map<number, number>>();
    /** The first request of each kind of problem per route: one example each is enough. */
    const problems = new Map<string, string>();
    let sent = 0;
    // Round robin over the routes, so that a time budget cut short still covers all of them.
    for (let round = 0; round < REQUESTS_PER_ROUTE; round++) {
      if (Date.now() - started > TIME_BUDGET_MS) break;
      for (const requests of planned) {
        const request = requests[round];
        if (!request) continue;
        const route = `${request.operation.method} ${request.operation.path}`;
        let problem: string | undefined;
        let status = 0;
        try {
          const response = await answerWithin(request);
          status = response.statusCode;
          problem = problemWith(request, response);
          if (problem) problem += `\n    answer: ${response.body.slice(0, 300)}`;
        } catch (error) {
          problem = `${(error as Error).message} within ${ANSWER_WITHIN_MS} ms`;
        }
        sent += 1;
        const counts = statuses.get(route) ?? new Map<number, number>();
        counts.set(status, (counts.get(status) ?? 0) + 1);
        statuses.set(route, counts);
        const kind = `${route}: ${problem?.split(':')[0]}`;
        if (problem && !problems.has(kind)) {
          problems.set(
            kind,
            `${route}: ${problem}\n    request: ${request.operation.method} ${request.url} ` +
              `${JSON.stringify(request.headers)} ${request.payload?.slice(0, 400) ?? ''}`,
          );
        }
      }
    }
    const elapsed = Date.now() - started;
    console.info(
      `api fuzz (seed ${SEED}): ${sent} requests over ${operations.length} routes in ${elapsed} ms; ` +
        [...statuses]
          .map(
            ([route, counts]) => `${route} ${[...counts].map(([s, n]) => `${s}×${n}`).join(' ')}`,
          )
          .join('; '),
    );
    expect(
      [...problems.values()],
      `FUZZ_SEED=${SEED} reproduces these:\n${[...problems.values()].join('\n')}`,
    ).toEqual([]);
    // Every route was reached, and the fuzz stayed inside its bounds.
    expect(statuses.size).toBe(operations.length);
    expect(sent).toBeLessThanOrEqual(REQUESTS_PER_ROUTE * operations.length);
  }, 120_000);
});
