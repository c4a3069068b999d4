import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type OpenApi, openApi } from '@kbisect/api';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoopbackProject, type LoopbackProject } from '../fixtures/loopback-project.js';
import { deleteKeys, TEST_REDIS_URL, uniquePrefix } from '../support/test-redis.js';
import { RECORD_ORACLE, ServiceHarness } from './support/service-harness.js';
import { type TestTokens, testTokens, writeTestConfig } from './support/test-config.js';

/**
 * The API's trust boundaries against a real API on a real Redis (through `inject`): reads
 * need a token, tokens carry policies (repositories, labs, recipes only), bisects and watches
 * have owners, repositories outside the allowlist are refused before any connection or
 * process, and the small inputs that used to be accepted or answered with a 500.
 */

/** A TCP server that counts connections and never answers: a port scanner's open port. */
class SilentServer {
  connections = 0;
  readonly #sockets: Socket[] = [];
  readonly server: Server = createServer((socket) => {
    this.connections++;
    this.#sockets.push(socket);
    socket.on('error', () => {});
  });

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

let work: string;
let project: LoopbackProject;
let tokens: TestTokens;
let api: OpenApi;
let prefix: string;
let logs = '';
const more = {
  alice: 'alice-token-0123456789',
  bob: 'bob-token-0123456789',
  robot: 'robot-token-0123456789',
  labbed: 'labbed-token-0123456789',
  metrics: 'metrics-token-0123456789',
};
/** Sees every connection to the URLs that must be refused: it must see none. */
const watchful = new SilentServer();
/** The allowed http remote that accepts and never answers. */
const silent = new SilentServer();
let watchfulPort: number;
let silentPort: number;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kbisect-trust-'));
  project = createLoopbackProject(join(work, 'repo'));
  tokens = testTokens();
  prefix = uniquePrefix('trust');
  watchfulPort = await watchful.listen();
  silentPort = await silent.listen();
  const { config } = await writeTestConfig(work, {
    redisUrl: TEST_REDIS_URL,
    prefix,
    cacheDir: join(work, 'cache'),
    tokens,
    readsNeedToken: 'default',
    moreTokens: [
      { name: 'alice', token: more.alice, repos: [`${work}/repo`] },
      { name: 'bob', token: more.bob },
      { name: 'robot', token: more.robot, commands: 'recipes' },
      { name: 'labbed', token: more.labbed, labs: ['rack1'], pools: ['x86'] },
    ],
    sections: {
      watches: { minIntervalSeconds: 300 },
      recipes: {
        'record-check': {
          description: 'the fixture: make, then the record-size check',
          build: { command: 'make -s' },
          oracle: { kind: 'command', command: RECORD_ORACLE },
        },
        'just-build': { build: { command: 'make -s' } },
      },
      repositories: {
        allow: [`${work}/**`, `http://127.0.0.1:${silentPort}/**`],
        protocols: ['file', 'http'],
        networkTimeoutSeconds: 3,
        lowSpeedSeconds: 2,
      },
    },
  });
  const logDestination = new Writable({
    write(chunk, _encoding, done) {
      logs += chunk.toString();
      done();
    },
  });
  api = await openApi(
    { ...config, auth: { ...config.auth, metricsToken: more.metrics }, log: { level: 'info' } },
    { logDestination },
  );
});
afterAll(async () => {
  await api?.app.close();
  await watchful.close();
  await silent.close();
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

const call = (
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  token?: string,
  body?: unknown,
) =>
  api.app.inject({
    method,
    url,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    ...(body !== undefined ? { payload: body as object } : {}),
  });

interface ErrorBody {
  statusCode: number;
  message: string;
  details?: { path: string; message: string }[];
}

describe('reads need a token by default', () => {
  it('answers 401 to an anonymous read of bisects, watches, /metrics and /docs', async () => {
    for (const url of ['/v1/bisects', '/v1/watches', '/metrics', '/docs', '/docs/json']) {
      const response = await call('GET', url);
      expect(response.statusCode, url).toBe(401);
      expect(response.json<ErrorBody>().message, url).toMatch(/needs an API token/);
    }
  });

  it('lets a read token in, and the metrics token into /metrics only', async () => {
    for (const url of ['/v1/bisects', '/metrics', '/docs/json']) {
      expect((await call('GET', url, tokens.reader)).statusCode, url).toBe(200);
    }
    expect((await call('GET', '/metrics', more.metrics)).statusCode).toBe(200);
    const bisects = await call('GET', '/v1/bisects', more.metrics);
    expect(bisects.statusCode).toBe(403);
    expect(bisects.json<ErrorBody>().message).toMatch(/"metrics" may not read/);
  });

  it('answers 401 to a body without a token before it looks at the body', async () => {
    const response = await call('POST', '/v1/bisects', undefined, { orcale: 1 });
    expect(response.statusCode).toBe(401);
  });

  it('refuses a token in the query string and never writes it to the log', async () => {
    const secret = 'url-token-should-never-be-logged';
    const response = await call('GET', `/v1/bisects?token=${secret}`);
    expect(response.statusCode).toBe(400);
    expect(response.json<ErrorBody>().message).toMatch(/Authorization: Bearer/);
    expect(logs).toContain('/v1/bisects?token=');
    expect(logs).not.toContain(secret);
  });
});

describe('token policies', () => {
  it('a token limited to one repository pattern gets 403 on another, naming the rule', async () => {
    const other = await call('POST', '/v1/bisects', more.alice, spec({ repo: `${work}/other` }));
    expect(other.statusCode).toBe(403);
    expect(other.json<ErrorBody>().message).toMatch(
      /token "alice" may not use repository .*\/other \(auth\.tokens\[alice\]\.repos: /,
    );
    expect((await call('POST', '/v1/bisects', more.alice, spec())).statusCode).toBe(201);
  });

  it('a token limited to labs and pools gets 403 for the worker host', async () => {
    const response = await call('POST', '/v1/bisects', more.labbed, spec());
    expect(response.statusCode).toBe(403);
    expect(response.json<ErrorBody>().message).toMatch(
      /token "labbed" may not use lab "local" \(auth\.tokens\[labbed\]\.labs: rack1; auth\.tokens\[labbed\]\.pools: x86\)/,
    );
  });

  it('a recipe-only token gets 403 with a command of its own, naming the recipes', async () => {
    const build = await call('POST', '/v1/bisects', more.robot, spec());
    expect(build.statusCode).toBe(403);
    expect(build.json<ErrorBody>().message).toMatch(
      /token "robot" may not use free-form commands \(body\/build, body\/oracle\); name a recipe instead \("recipe": "record-check", "just-build"\)/,
    );
    const { build: _build, ...withoutBuild } = spec();
    const oracle = await call('POST', '/v1/bisects', more.robot, {
      ...withoutBuild,
      recipe: 'just-build',
    });
    expect(oracle.statusCode).toBe(403);
    expect(oracle.json<ErrorBody>().details?.map((d) => d.path)).toEqual(['body/oracle']);
  });

  it('a recipe-only token naming a recipe gets 201, and the bisect carries the recipe', async () => {
    const { build: _b, oracle: _o, ...rest } = spec();
    const response = await call('POST', '/v1/bisects', more.robot, {
      ...rest,
      recipe: 'record-check',
    });
    expect(response.statusCode, response.body).toBe(201);
    const view = await call(
      'GET',
      `/v1/bisects/${response.json<{ id: string }>().id}`,
      tokens.reader,
    );
    const stored = view.json<{ spec: Record<string, unknown>; submittedBy: string }>();
    expect(stored.spec).toMatchObject({
      recipe: 'record-check',
      build: { command: 'make -s' },
      oracle: { kind: 'command', command: RECORD_ORACLE },
    });
    expect(stored.submittedBy).toBe('robot');
  });

  it('an unknown recipe is 422, a field given twice 400', async () => {
    const { build: _b, oracle: _o, ...rest } = spec();
    const unknown = await call('POST', '/v1/bisects', tokens.writer, { ...rest, recipe: 'nope' });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json<ErrorBody>().message).toMatch(
      /no recipe "nope" .*known: record-check, just-build/,
    );
    const twice = await call(
      'POST',
      '/v1/bisects',
      tokens.writer,
      spec({ recipe: 'record-check' }),
    );
    expect(twice.statusCode).toBe(400);
    expect(twice.json<ErrorBody>().details?.map((d) => d.path)).toEqual([
      'body/build',
      'body/oracle',
    ]);
  });
});

describe('owners', () => {
  it('a non-owner may not cancel or mark; the owner marks, an admin cancels', async () => {
    const created = await call('POST', '/v1/bisects', tokens.writer, spec());
    expect(created.statusCode).toBe(201);
    const id = created.json<{ id: string }>().id;
    const cancel = await call('POST', `/v1/bisects/${id}/cancel`, more.bob);
    expect(cancel.statusCode).toBe(403);
    expect(cancel.json<ErrorBody>().message).toBe(
      `bisect ${id} belongs to "ci": only its owner or an admin token may cancel it (token "bob" is neither)`,
    );
    const mark = await call('POST', `/v1/bisects/${id}/verdicts`, more.bob, {
      commit: 'main',
      verdict: 'good',
    });
    expect(mark.statusCode).toBe(403);
    // The owner check comes before the state check: a non-owner learns nothing else.
    const resume = await call('POST', `/v1/bisects/${id}/resume`, more.bob);
    expect(resume.statusCode).toBe(403);
    expect(resume.json<ErrorBody>().message).toContain('may resume it');
    const ownResume = await call('POST', `/v1/bisects/${id}/resume`, tokens.writer);
    expect(ownResume.statusCode, ownResume.body).toBe(409);
    const ownMark = await call('POST', `/v1/bisects/${id}/verdicts`, tokens.writer, {
      commit: 'main',
      verdict: 'bad',
    });
    expect(ownMark.statusCode, ownMark.body).toBe(201);
    expect((await call('POST', `/v1/bisects/${id}/cancel`, tokens.admin)).statusCode).toBe(202);
    const list = await call('GET', '/v1/bisects?limit=50', tokens.reader);
    const mine = list.json<{ bisects: { id: string; submittedBy: string }[] }>().bisects;
    expect(mine.find((b) => b.id === id)?.submittedBy).toBe('ci');
  });

  it('a non-owner may not change, run or delete a watch; an admin may', async () => {
    const created = await call('POST', '/v1/watches', tokens.writer, {
      repo: project.dir,
      branch: 'main',
      cron: '0 2 * * *',
      build: { command: 'make -s' },
      oracle: { kind: 'command', command: RECORD_ORACLE },
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json<{ id: string; createdBy: string }>().id;
    expect(created.json<{ createdBy: string }>().createdBy).toBe('ci');
    const patch = await call('PATCH', `/v1/watches/${id}`, more.bob, { cron: '0 3 * * *' });
    expect(patch.statusCode).toBe(403);
    const remove = await call('DELETE', `/v1/watches/${id}`, more.bob);
    expect(remove.statusCode).toBe(403);
    expect(remove.json<ErrorBody>().message).toMatch(/watch .* belongs to "ci"/);
    const run = await call('POST', `/v1/watches/${id}/run`, more.bob);
    expect(run.statusCode).toBe(403);
    expect(run.json<ErrorBody>().message).toContain('may run it');
    expect((await call('DELETE', `/v1/watches/${id}`, tokens.admin)).statusCode).toBe(204);
  });
});

describe('repositories: allowlist and transports', () => {
  const marker = () => join(work, 'ext-was-run');

  it.each([
    ['fd::3', /the "fd::" transport .* is never allowed/],
    [`ext::sh -c touch% MARKER`, /the "ext::" transport/],
    [`127.0.0.1:x.git`, /repositories\.protocols: transport "ssh" is not one of file, http/],
    [`ssh://127.0.0.1:PORT/x.git`, /repositories\.protocols: transport "ssh"/],
    [
      `http://127.0.0.1:PORT/x.git`,
      /repositories\.allow: http:\/\/127\.0\.0\.1:\d+\/x\.git matches none of/,
    ],
    ['https://example.invalid/x.git', /repositories\.protocols: transport "https"/],
  ])('refuses %s before any connection or process', async (repo, message) => {
    const source = repo.replace('PORT', String(watchfulPort)).replace('MARKER', marker());
    const response = await call('POST', '/v1/bisects', tokens.writer, spec({ repo: source }));
    expect(response.statusCode, response.body).toBe(403);
    expect(response.json<ErrorBody>().message).toMatch(message);
    expect(response.json<ErrorBody>().details?.[0]?.path).toBe('body/repo');
    expect(watchful.connections).toBe(0);
    expect(existsSync(marker())).toBe(false);
  });

  it('refuses the same sources for a watch', async () => {
    const response = await call('POST', '/v1/watches', tokens.writer, {
      repo: `http://127.0.0.1:${watchfulPort}/x.git`,
      branch: 'main',
      cron: '0 2 * * *',
      oracle: { kind: 'command', command: 'true' },
    });
    expect(response.statusCode).toBe(403);
    expect(watchful.connections).toBe(0);
  });

  it('gives up on an allowed http remote that never answers within the time limit', async () => {
    const started = Date.now();
    const response = await call(
      'POST',
      '/v1/bisects',
      tokens.writer,
      spec({ repo: `http://127.0.0.1:${silentPort}/x.git` }),
    );
    const elapsed = Date.now() - started;
    expect(response.statusCode, response.body).toBe(422);
    expect(response.json<ErrorBody>().message).toMatch(/127\.0\.0\.1/);
    expect(silent.connections).toBeGreaterThan(0);
    // networkTimeoutSeconds is 3 (the low-speed limit, 2 s, usually ends it first).
    expect(elapsed).toBeLessThan(8000);
    expect(gitProcessesFor(`127.0.0.1:${silentPort}`)).toEqual([]);
  });
});

/** Live processes whose command line names `needle`: a killed clone must leave none. */
function gitProcessesFor(needle: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(needle) && cmdline.includes('git')) found.push(`${pid}: ${cmdline}`);
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

describe('small inputs answered properly', () => {
  it('a NUL in a build command or an escape in an oracle command is a 400 naming the field', async () => {
    const nul = await call(
      'POST',
      '/v1/bisects',
      tokens.writer,
      spec({ build: { command: 'make\0-s' } }),
    );
    expect(nul.statusCode).toBe(400);
    expect(nul.json<ErrorBody>().details).toEqual([
      {
        path: 'body/build/command',
        message: 'contains a NUL byte at offset 4; commands are text (tabs and newlines allowed)',
      },
    ]);
    const withEscape = await call(
      'POST',
      '/v1/bisects',
      tokens.writer,
      spec({ oracle: { kind: 'command', command: 'true\u001b[2K' } }),
    );
    expect(withEscape.statusCode).toBe(400);
    expect(withEscape.json<ErrorBody>().details?.[0]).toEqual({
      path: 'body/oracle/command',
      message:
        'contains control character U+001b at offset 4; commands are text (tabs and newlines allowed)',
    });
  });

  it('a relative repository path is a 400', async () => {
    const response = await call('POST', '/v1/bisects', tokens.writer, spec({ repo: 'repo' }));
    expect(response.statusCode).toBe(400);
    expect(response.json<ErrorBody>().details).toEqual([
      {
        path: 'body/repo',
        message: '"repo" is a relative path; give an absolute path on the service host or a URL',
      },
    ]);
  });

  it('a repository whose source has gone is a 422 naming it, not a 500', async () => {
    const copy = join(work, 'short-lived');
    cpSync(project.dir, copy, { recursive: true });
    expect(
      (await call('POST', '/v1/bisects', tokens.writer, spec({ repo: copy }))).statusCode,
    ).toBe(201);
    rmSync(copy, { recursive: true, force: true });
    const response = await call('POST', '/v1/bisects', tokens.writer, spec({ repo: copy }));
    expect(response.statusCode, response.body).toBe(422);
    expect(response.json<ErrorBody>().message).toContain(copy);
    expect(response.json<ErrorBody>().details?.[0]?.path).toBe('body/repo');
  });

  it('a watch cron that fires more often than the minimum is a 400', async () => {
    const response = await call('POST', '/v1/watches', tokens.writer, {
      repo: project.dir,
      branch: 'main',
      cron: '* * * * * *',
      oracle: { kind: 'command', command: 'true' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json<ErrorBody>().details).toEqual([
      {
        path: 'body/cron',
        message:
          'fires every 1 s at times; this service runs a watch at most every 300 s (watches.minIntervalSeconds)',
      },
    ]);
  });

  it('a run written after its watch was deleted leaves no keys behind', async () => {
    const created = await call('POST', '/v1/watches', tokens.writer, {
      repo: project.dir,
      branch: 'main',
      cron: '0 2 * * *',
      oracle: { kind: 'command', command: 'true' },
    });
    const id = created.json<{ id: string }>().id;
    const run = {
      id: `${id}.r1`,
      watchId: id,
      trigger: 'manual' as const,
      status: 'running' as const,
      startedAt: new Date().toISOString(),
    };
    expect(await api.context.stores.watches.putRun(run)).toBe(true);
    expect((await call('DELETE', `/v1/watches/${id}`, tokens.writer)).statusCode).toBe(204);
    // The run goes on in a worker and saves its outcome: nothing may come back.
    expect(await api.context.stores.watches.putRun({ ...run, status: 'good' })).toBe(false);
    const redis = new Redis(TEST_REDIS_URL);
    try {
      expect(await redis.keys(`${prefix}:watch:${id}*`)).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });
});

describe('an unwritable cache directory', () => {
  let broken: OpenApi;
  let cacheDir: string;
  beforeAll(async () => {
    const file = join(work, 'a-file');
    writeFileSync(file, 'not a directory');
    cacheDir = join(file, 'cache');
    broken = await openApi({ ...api.context.config, cacheDir, log: { level: 'silent' } });
  });
  afterAll(async () => {
    await broken?.app.close();
  });

  it('makes /readyz not ready, with the reason', async () => {
    const response = await broken.app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(503);
    // `disk` (free space of the cache's file system) is reported too; it is not the reason here.
    expect(response.json()).toMatchObject({
      ok: false,
      redis: 'ok',
      cache: `the service's cache directory ${cacheDir} (cacheDir) cannot be written: a part of the path is a file, not a directory (ENOTDIR); an operator must fix the path, its permissions or its disk`,
    });
  });

  it('makes a POST answer 503 with the real cause', async () => {
    const response = await broken.app.inject({
      method: 'POST',
      url: '/v1/bisects',
      headers: { authorization: `Bearer ${tokens.writer}` },
      payload: spec(),
    });
    expect(response.statusCode).toBe(503);
    expect(response.json<ErrorBody>().message).toMatch(
      /cacheDir\) cannot be written: a part of the path is a file/,
    );
  });
});

describe('a bisect named by its recipe', () => {
  let service: ServiceHarness;
  const robot = 'robot-token-9876543210';
  beforeAll(async () => {
    service = await ServiceHarness.start('recipe', {
      moreTokens: [{ name: 'robot', token: robot, commands: 'recipes' }],
      sections: {
        recipes: {
          'record-check': {
            build: { command: 'make -s' },
            oracle: { kind: 'command', command: RECORD_ORACLE },
          },
        },
      },
    });
    await service.startWorker();
  }, 60_000);
  afterAll(async () => {
    await service?.close();
  });

  it("runs the recipe's build and oracle to the planted culprit", async () => {
    const { build: _b, oracle: _o, ...rest } = service.spec();
    const response = await service.request('POST', '/v1/bisects', {
      body: { ...rest, recipe: 'record-check', confirm: false },
      token: robot,
    });
    expect(response.status, await response.clone().text()).toBe(201);
    const { id } = (await response.json()) as { id: string };
    const view = await service.waitForEnd(id);
    expect(view.status).toBe('found');
    expect(view.result?.culprit).toBe(service.project.culprit);
  }, 120_000);
});

describe('a service whose sandbox allows no network', () => {
  let closed: OpenApi;
  beforeAll(async () => {
    const config = api.context.config;
    closed = await openApi({
      ...config,
      sandbox: { ...config.sandbox, allowNetwork: false },
      log: { level: 'silent' },
    });
  });
  afterAll(async () => {
    await closed?.app.close();
  });

  it('refuses a command that asks for network at submission, naming the field', async () => {
    const post = (url: string, payload: object) =>
      closed.app.inject({
        method: 'POST',
        url,
        headers: { authorization: `Bearer ${tokens.writer}` },
        payload,
      });
    const bisect = await post(
      '/v1/bisects',
      spec({ build: { command: 'make -s', network: true } }),
    );
    expect(bisect.statusCode, bisect.body).toBe(422);
    expect(bisect.json<ErrorBody>().details?.map((d) => d.path)).toEqual(['body/build/network']);
    const watch = await post('/v1/watches', {
      repo: project.dir,
      branch: 'main',
      cron: '0 2 * * *',
      build: { command: 'make -s' },
      oracle: { kind: 'command', command: RECORD_ORACLE, network: true },
    });
    expect(watch.statusCode, watch.body).toBe(422);
    expect(watch.json<ErrorBody>().details?.map((d) => d.path)).toEqual(['body/oracle/network']);
    // Without asking, the same bisect is accepted.
    expect((await post('/v1/bisects', spec())).statusCode).toBe(201);
  });
});
