import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type OpenApi, openApi } from '@kbisect/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoopbackProject, type LoopbackProject } from '../fixtures/loopback-project.js';
import { deleteKeys, TEST_REDIS_URL, uniquePrefix } from '../support/test-redis.js';
import { type TestTokens, testTokens, writeTestConfig } from './support/test-config.js';

/**
 * A kernel bisect on a configured lab takes every oracle kind: the lab only boots the kernel,
 * the oracle runs there whatever it is. Through `inject`, no worker: the bisect is queued.
 */
let work: string;
let project: LoopbackProject;
let tokens: TestTokens;
let api: OpenApi;
let prefix: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kbisect-api-lab-'));
  project = createLoopbackProject(join(work, 'repo'));
  tokens = testTokens();
  prefix = uniquePrefix('api-lab');
  const labFile = join(work, 'vm-a.json');
  writeFileSync(
    labFile,
    JSON.stringify({
      name: 'vm-a',
      pool: 'qemu',
      host: '127.0.0.1',
      port: 9,
      hostKeyFingerprint: 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s',
    }),
  );
  const { config } = await writeTestConfig(work, {
    redisUrl: TEST_REDIS_URL,
    prefix,
    cacheDir: join(work, 'cache'),
    tokens,
  });
  api = await openApi({ ...config, labs: [labFile], log: { level: 'warn' } });
});
afterAll(async () => {
  await api?.app.close();
  await deleteKeys(TEST_REDIS_URL, prefix);
  rmSync(work, { recursive: true, force: true });
});

const post = (body: unknown) =>
  api.app.inject({
    method: 'POST',
    url: '/v1/bisects',
    headers: { authorization: `Bearer ${tokens.writer}` },
    payload: body as object,
  });

const onLab = (lab: unknown, oracle: unknown) => ({
  repo: project.dir,
  good: 'v1.0',
  bad: 'main',
  build: { kernel: { config: { defconfig: 'tinyconfig' } } },
  lab,
  oracle,
});

describe('POST /v1/bisects with a lab target', () => {
  const oracles: [string, unknown][] = [
    ['splice-loopback', { kind: 'splice-loopback', args: '--mode splice' }],
    ['command', { kind: 'command', command: './stall.sh' }],
    [
      'command with files',
      {
        kind: 'command',
        command: './stall.sh',
        files: [{ path: 'stall.sh', content: '#!/bin/sh\nexit 0\n', mode: 0o755 }],
      },
    ],
    ['metric', { kind: 'metric', command: './rate.sh', timeoutSeconds: 60 }],
  ];
  for (const [what, oracle] of oracles) {
    it(`accepts a ${what} oracle on a named lab and on its pool (201)`, async () => {
      for (const lab of [{ name: 'vm-a' }, { pool: 'qemu' }]) {
        const response = await post(onLab(lab, oracle));
        expect(response.statusCode, response.body).toBe(201);
        const record = await api.app.inject({
          method: 'GET',
          url: `/v1/bisects/${response.json().id}`,
          headers: { authorization: `Bearer ${tokens.reader}` },
        });
        expect(record.json().spec).toMatchObject({ lab, oracle });
      }
    });
  }

  it('refuses oracle files that leave the directory, naming the field (400)', async () => {
    const response = await post(
      onLab(
        { name: 'vm-a' },
        { kind: 'command', command: 'true', files: [{ path: '../../etc/x', content: '' }] },
      ),
    );
    expect(response.statusCode).toBe(400);
    expect(response.json().details).toEqual([
      {
        path: 'body/oracle/files/0/path',
        message:
          '../../etc/x may not contain ..: files stay inside the directory the command runs in',
      },
    ]);
  });
});
