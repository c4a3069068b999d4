import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type OpenApi, openApi } from '@kbisect/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoopbackProject, type LoopbackProject } from '../fixtures/loopback-project.js';
import { deleteKeys, TEST_REDIS_URL, uniquePrefix } from '../support/test-redis.js';
import { RECORD_ORACLE } from './support/service-harness.js';
import { type TestTokens, testTokens, writeTestConfig } from './support/test-config.js';

/**
 * Every route's answers without a worker, through `inject`: schema errors name the field,
 * auth says 401 or 403, unknown things are 404, refs are checked before anything is queued.
 */
let work: string;
let project: LoopbackProject;
let tokens: TestTokens;
let api: OpenApi;
let prefix: string;
let logs = '';

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kbisect-api-'));
  project = createLoopbackProject(join(work, 'repo'));
  tokens = testTokens();
  prefix = uniquePrefix('api');
  const { config } = await writeTestConfig(work, {
    redisUrl: TEST_REDIS_URL,
    prefix,
    cacheDir: join(work, 'cache'),
    tokens,
  });
  const logDestination = new Writable({
    write(chunk, _encoding, done) {
      logs += chunk.toString();
      done();
    },
  });
  api = await openApi({ ...config, log: { level: 'debug' } }, { logDestination });
});
afterAll(async () => {
  await api?.app.close();
  await deleteKeys(TEST_REDIS_URL, prefix);
  rmSync(work, { recursive: true, force: true });
});

const spec = (overrides: Record<string, unknown> = {}) => ({
  repo: project.dir,
  good: 'v1.0',
  bad: 'main',
  build: { command: 'make -s' },
  oracle: { kind: 'command', command: RECORD_ORACLE },
  ...overrides,
});

const post = (
  url: string,
  body: unknown,
  token: string | undefined = tokens.writer,
  headers = {},
) =>
  api.app.inject({
    method: 'POST',
    url,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    payload: body as object,
  });

const get = (url: string, headers: Record<string, string> = {}) =>
  api.app.inject({ method: 'GET', url, headers });

interface ErrorBody {
  statusCode: number;
  message: string;
  details?: { path: string; message: string }[];
}

describe('POST /v1/bisects refuses a body that cannot work, naming the field', () => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ['a missing oracle', { oracle: undefined }, 'body/oracle', /missing field "oracle"/],
    ['a misspelt field', { orcale: {} }, 'body', /unknown field "orcale"/],
    [
      'an unknown oracle kind',
      { oracle: { kind: 'magic', command: 'x' } },
      'body/oracle',
      /unknown kind "magic"; expected one of command, metric, splice-loopback/,
    ],
    [
      'an empty list of good commits',
      { good: [] },
      'body/good',
      /fewer than 1|at least 1|NOT have fewer/i,
    ],
    [
      'a command oracle without its command',
      { oracle: { kind: 'command' } },
      'body/oracle',
      /missing field "command"/,
    ],
    ['a zero build timeout', { build: { command: 'make', timeoutSeconds: 0 } }, 'body/build', /.+/],
    ['a webhook that is not http', { webhook: 'file:///etc/passwd' }, 'body/webhook', /pattern/],
    [
      'a threshold for an exit-code oracle',
      { decision: { threshold: 5 } },
      'body/decision/threshold',
      /metric/,
    ],
    [
      'an unknown splice-loopback measure',
      { oracle: { kind: 'splice-loopback', measure: 'latency' } },
      'body/oracle/measure',
      /.+/,
    ],
    [
      'max samples below samples',
      { oracle: { kind: 'metric', command: './lbench' }, decision: { samples: 5, maxSamples: 2 } },
      'body/decision/maxSamples',
      /below samples 5/,
    ],
    [
      'a calibration too small for any commit to reach significance',
      {
        oracle: { kind: 'metric', command: './lbench' },
        decision: { calibrationSamples: 5, maxSamples: 6 },
      },
      'body/decision/calibrationSamples',
      /with 5 calibration samples per endpoint, even 6 samples of a commit cannot reach p ≤ 0\.001/,
    ],
  ];
  for (const [what, overrides, path, message] of cases) {
    it(`answers 400 for ${what}`, async () => {
      const body = Object.fromEntries(
        Object.entries(spec(overrides)).filter(([, v]) => v !== undefined),
      );
      const response = await post('/v1/bisects', body);
      expect(response.statusCode, response.body).toBe(400);
      const error = response.json<ErrorBody>();
      const detail = error.details?.find((d) => d.path === path);
      expect(detail, JSON.stringify(error)).toBeDefined();
      expect(detail?.message).toMatch(message);
      expect(error.message).toContain(path);
    });
  }

  it('answers 400 for a body that is not JSON at all', async () => {
    const response = await api.app.inject({
      method: 'POST',
      url: '/v1/bisects',
      headers: { authorization: `Bearer ${tokens.writer}`, 'content-type': 'application/json' },
      payload: '{"repo": ',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json<ErrorBody>().message).toMatch(/JSON/i);
  });
});

describe('POST /v1/bisects checks the refs before queueing (422)', () => {
  it('names an unknown good ref', async () => {
    const response = await post('/v1/bisects', spec({ good: ['v1.0', 'v9.9-nope'] }));
    expect(response.statusCode).toBe(422);
    const error = response.json<ErrorBody>();
    expect(error.message).toContain('v9.9-nope');
    expect(error.details).toContainEqual({ path: 'body/good', message: 'unknown ref "v9.9-nope"' });
  });

  it('names an unknown bad ref', async () => {
    const response = await post('/v1/bisects', spec({ bad: 'no-such-branch' }));
    expect(response.statusCode).toBe(422);
    expect(response.json<ErrorBody>().details?.[0]?.path).toBe('body/bad');
  });

  it('refuses a good commit that is not an ancestor of the bad one', async () => {
    const response = await post('/v1/bisects', spec({ good: 'main', bad: 'v1.0' }));
    expect(response.statusCode).toBe(422);
    expect(response.json<ErrorBody>().details?.[0]?.path).toBe('body/good');
  });

  it('refuses a repository that does not exist', async () => {
    const response = await post('/v1/bisects', spec({ repo: join(work, 'nowhere') }));
    expect(response.statusCode).toBe(422);
    expect(response.json<ErrorBody>().details?.[0]?.path).toBe('body/repo');
  });

  it('refuses a lab this server does not have and a kernel build without a lab', async () => {
    const pool = await post('/v1/bisects', spec({ lab: { pool: 'x86-big' } }));
    expect(pool.statusCode).toBe(422);
    expect(pool.json<ErrorBody>().message).toMatch(
      /no configured lab is in pool "x86-big": configured pools are none/,
    );
    expect(pool.json<ErrorBody>().details?.[0]?.path).toBe('body/lab/pool');
    const bootBad = await post('/v1/bisects', spec({ bootFailure: 'bad' }));
    expect(bootBad.statusCode).toBe(422);
    expect(bootBad.json<ErrorBody>().details).toEqual([
      {
        path: 'body/bootFailure',
        message: 'boot failures count as bad on a lab only: lab "local" boots no kernel',
      },
    ]);
    const kernelBuild = { kernel: { config: { defconfig: 'tinyconfig' } } };
    const lab = await post(
      '/v1/bisects',
      spec({ build: kernelBuild, lab: { name: 'rack9' }, oracle: { kind: 'splice-loopback' } }),
    );
    expect(lab.statusCode).toBe(422);
    expect(lab.json<ErrorBody>().message).toMatch(/unknown lab "rack9": configured labs are none/);
    expect(lab.json<ErrorBody>().details?.[0]?.path).toBe('body/lab/name');
    const kernel = await post('/v1/bisects', spec({ build: { kernel: { config: '.config' } } }));
    expect(kernel.statusCode).toBe(422);
    expect(kernel.json<ErrorBody>().details?.[0]?.path).toBe('body/lab');
  });

  it('refuses splice-loopback flags splice-bench does not take, naming the flag', async () => {
    const response = await post(
      '/v1/bisects',
      spec({ oracle: { kind: 'splice-loopback', args: '--pattern rr --frobnicate 3' } }),
    );
    expect(response.statusCode).toBe(400);
    const [detail] = response.json<ErrorBody>().details ?? [];
    expect(detail?.path).toBe('body/oracle/args');
    expect(detail?.message).toMatch(/frobnicate/);
  });

  it('refuses a make variable that belongs to the kernel builder, naming the field', async () => {
    const response = await post(
      '/v1/bisects',
      spec({
        build: { kernel: { config: '.config', makeVars: { KCFLAGS: '-O2', LOCALVERSION: '-x' } } },
      }),
    );
    expect(response.statusCode).toBe(400);
    expect(response.json<ErrorBody>().details).toContainEqual({
      path: 'body/build/kernel/makeVars',
      message: 'unknown field "LOCALVERSION"',
    });
  });

  it('refuses a decision direction that contradicts the splice-loopback measure', async () => {
    const stalls = { kind: 'splice-loopback', measure: 'stalls' };
    const against = await post(
      '/v1/bisects',
      spec({ oracle: stalls, decision: { direction: 'higher-is-better' } }),
    );
    expect(against.statusCode).toBe(422);
    const error = against.json<ErrorBody>();
    expect(error.message).toMatch(
      /^decision\.direction "higher-is-better" contradicts oracle\.measure "stalls": stalled time is lower-is-better/,
    );
    expect(error.details).toEqual([{ path: 'body/decision/direction', message: error.message }]);
    const rate = await post(
      '/v1/bisects',
      spec({ oracle: { kind: 'splice-loopback' }, decision: { direction: 'lower-is-better' } }),
    );
    expect(rate.statusCode).toBe(422);
    expect(rate.json<ErrorBody>().details?.[0]?.path).toBe('body/decision/direction');
    // No direction: the measure's own. (Refused for its lab only, so nothing is queued.)
    const unsaid = await post(
      '/v1/bisects',
      spec({
        oracle: stalls,
        decision: { samples: 5 },
        build: { kernel: { config: { defconfig: 'tinyconfig' } } },
        lab: { name: 'rack9' },
      }),
    );
    expect(unsaid.statusCode).toBe(422);
    expect(unsaid.json<ErrorBody>().details?.map((d) => d.path)).toEqual(['body/lab/name']);
  });

  it('queues nothing for a refused body', async () => {
    const counts = await api.context.queues.coordinator.getJobCounts();
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(0);
  });
});

describe('tokens', () => {
  it('answer 401 with a Bearer challenge when a write has no token', async () => {
    const response = await post('/v1/bisects', spec(), '');
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(response.json<ErrorBody>().message).toMatch(/Authorization: Bearer/);
  });

  it('answer 401 for a token that is not configured, even on a read', async () => {
    const response = await get('/v1/bisects', { authorization: 'Bearer not-a-real-token' });
    expect(response.statusCode).toBe(401);
  });

  it('answer 403 when a read-only token writes', async () => {
    const response = await post('/v1/bisects', spec(), tokens.reader);
    expect(response.statusCode).toBe(403);
    expect(response.json<ErrorBody>().message).toBe('the token "viewer" may not write');
  });

  it('guard the queue dashboard: 401 with a Basic challenge, 403 without admin, 200 for an admin', async () => {
    const anonymous = await get('/admin/queues');
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Basic/);
    const writer = await get('/admin/queues', { authorization: `Bearer ${tokens.writer}` });
    expect(writer.statusCode).toBe(403);
    const basic = Buffer.from(`ops:${tokens.admin}`).toString('base64');
    const admin = await get('/admin/queues', { authorization: `Basic ${basic}` });
    expect(admin.statusCode).toBe(200);
    expect(admin.headers['content-type']).toMatch(/text\/html/);
    const queues = await get('/admin/queues/api/queues', {
      authorization: `Bearer ${tokens.admin}`,
    });
    expect(queues.statusCode).toBe(200);
    expect(JSON.stringify(queues.json())).toContain('lab-test');
  });

  it('never appear in the logs', () => {
    for (const token of Object.values(tokens)) expect(logs).not.toContain(token);
    expect(logs.length).toBeGreaterThan(0);
  });
});

describe('unknown things are 404, malformed ids and queries 400', () => {
  for (const [method, url] of [
    ['GET', '/v1/bisects/bdeadbeef0000'],
    ['GET', '/v1/bisects/bdeadbeef0000/log'],
    ['GET', '/v1/bisects/bdeadbeef0000/events'],
    ['POST', '/v1/bisects/bdeadbeef0000/cancel'],
    ['POST', '/v1/bisects/bdeadbeef0000/verdicts'],
    ['POST', '/v1/bisects/bdeadbeef0000/resume'],
    ['GET', '/v1/nothing-here'],
  ] as const) {
    it(`answers 404 for ${method} ${url}`, async () => {
      const response =
        method === 'GET' ? await get(url) : await post(url, { commit: 'main', verdict: 'good' });
      expect(response.statusCode).toBe(404);
      expect(response.json<ErrorBody>().message).toMatch(/no (bisect|route)/);
    });
  }

  it('answers 400 for an id with characters no id has', async () => {
    expect((await get('/v1/bisects/a%20b')).statusCode).toBe(400);
  });

  it('answers 400 for a list query with an unknown status or a zero limit', async () => {
    expect((await get('/v1/bisects?status=sleeping')).statusCode).toBe(400);
    expect((await get('/v1/bisects?limit=0')).statusCode).toBe(400);
  });
});

describe('a bisect no worker has taken yet', () => {
  let id: string;

  beforeAll(async () => {
    const response = await post('/v1/bisects', spec({ labels: { ci: 'queued-test' } }));
    expect(response.statusCode, response.body).toBe(201);
    id = response.json<{ id: string }>().id;
    expect(response.headers.location).toBe(response.json<{ url: string }>().url);
  });

  it('is queued with its refs resolved to shas and a coordinator job of the same id', async () => {
    const view = (await get(`/v1/bisects/${id}`)).json();
    expect(view.status).toBe('queued');
    expect(view.range.bad).toBe(project.bad);
    expect(view.range.goods).toEqual([project.good]);
    expect(view.range.commits).toBe(project.commitCount);
    const job = await api.context.queues.coordinator.getJob(id);
    expect(job?.data).toEqual({ bisectId: id });
  });

  it('takes a manual verdict for a commit of its range, and refuses one outside it (422)', async () => {
    const marked = await post(`/v1/bisects/${id}/verdicts`, {
      commit: project.culprit,
      verdict: 'bad',
      note: 'seen in production',
    });
    expect(marked.statusCode, marked.body).toBe(201);
    expect(marked.json().entry).toMatchObject({
      commit: project.culprit,
      verdict: 'bad',
      source: 'manual',
    });
    const outside = await post(`/v1/bisects/${id}/verdicts`, { commit: 'v1.0~1', verdict: 'good' });
    expect(outside.statusCode).toBe(422);
    expect(outside.json<ErrorBody>().message).toMatch(/not in the range/);
    const unknown = await post(`/v1/bisects/${id}/verdicts`, { commit: 'nope', verdict: 'good' });
    expect(unknown.statusCode).toBe(422);
    const log = await get(`/v1/bisects/${id}/log`);
    expect(log.body).toContain(`git bisect bad ${project.culprit}`);
  });

  it('is cancelled at once, and a second cancel is a 409', async () => {
    const cancel = await post(`/v1/bisects/${id}/cancel`, {});
    expect(cancel.statusCode).toBe(202);
    expect(cancel.json()).toEqual({ id, status: 'cancelled' });
    const view = (await get(`/v1/bisects/${id}`)).json();
    expect(view.status).toBe('cancelled');
    expect(view.result.error).toMatch(/cancelled/);
    expect(await api.context.queues.coordinator.getJob(id)).toBeUndefined();
    expect((await post(`/v1/bisects/${id}/cancel`, {})).statusCode).toBe(409);
    const mark = await post(`/v1/bisects/${id}/verdicts`, {
      commit: project.culprit,
      verdict: 'good',
    });
    expect(mark.statusCode).toBe(409);
    // Only a bisect that ended in error is resumed; a cancel was somebody's decision.
    const resume = await post(`/v1/bisects/${id}/resume`, {});
    expect(resume.statusCode).toBe(409);
    expect(resume.json<ErrorBody>().message).toMatch(
      /is cancelled: only a bisect that ended in error can be resumed \(a cancelled one cannot/,
    );
  });
});

describe('Idempotency-Key', () => {
  it('returns the same bisect for a retry with the same key and body, and queues it once', async () => {
    const key = { 'idempotency-key': `ci-run-${prefix}` };
    const first = await post('/v1/bisects', spec({ labels: { try: '1' } }), tokens.writer, key);
    const retry = await post('/v1/bisects', spec({ labels: { try: '1' } }), tokens.writer, key);
    expect(first.statusCode).toBe(201);
    expect(retry.statusCode).toBe(201);
    expect(retry.json().id).toBe(first.json().id);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    const list = (await get('/v1/bisects?label=try=1')).json();
    expect(list.bisects).toHaveLength(1);
  });

  it('refuses the same key with a different body (422), and keeps keys of different tokens apart', async () => {
    const key = { 'idempotency-key': `reused-${prefix}` };
    const first = await post('/v1/bisects', spec(), tokens.writer, key);
    const changed = await post('/v1/bisects', spec({ firstParent: true }), tokens.writer, key);
    expect(changed.statusCode).toBe(422);
    expect(changed.json<ErrorBody>().message).toMatch(/different body/);
    const other = await post('/v1/bisects', spec(), tokens.admin, key);
    expect(other.statusCode).toBe(201);
    expect(other.json().id).not.toBe(first.json().id);
  });

  it('lets a corrected retry reuse the key of a refused request', async () => {
    const key = { 'idempotency-key': `typo-${prefix}` };
    expect((await post('/v1/bisects', spec({ bad: 'mian' }), tokens.writer, key)).statusCode).toBe(
      422,
    );
    expect((await post('/v1/bisects', spec({ bad: 'mian' }), tokens.writer, key)).statusCode).toBe(
      422,
    );
  });
});

describe('operations', () => {
  it('answers /healthz and /readyz', async () => {
    expect((await get('/healthz')).json()).toEqual({ ok: true });
    expect((await get('/readyz')).json()).toEqual({
      ok: true,
      redis: 'ok',
      cache: 'ok',
      disk: expect.stringMatching(/^\d+\.\d MB free of \d+\.\d MB in \//),
    });
  });

  it('serves an OpenAPI document built from the route schemas, and its UI at /docs', async () => {
    const doc = (await get('/docs/json')).json();
    expect(doc.openapi).toMatch(/^3\./);
    const post = doc.paths['/v1/bisects'].post;
    expect(post.requestBody.content['application/json'].schema.properties.oracle).toBeDefined();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/bisects/{id}',
        '/v1/bisects/{id}/events',
        '/v1/bisects/{id}/verdicts',
        '/v1/bisects/{id}/log',
        '/v1/bisects/{id}/cancel',
        '/v1/bisects/{id}/resume',
        '/metrics',
      ]),
    );
    const ui = await get('/docs/');
    expect([200, 302]).toContain(ui.statusCode);
  });
});
