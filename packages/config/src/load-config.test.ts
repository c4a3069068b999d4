import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigInvalid } from './errors/config-invalid.js';
import { loadConfig } from './load-config.js';

const dir = mkdtempSync(join(tmpdir(), 'kbisect-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const problemsOf = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigInvalid);
  return (error as ConfigInvalid).problems;
};

describe('loadConfig', () => {
  it('gives every field a default when there is no file and no environment', async () => {
    const config = await loadConfig({ env: {} });
    expect(config.redis).toEqual({ url: 'redis://127.0.0.1:6379', prefix: 'kbisect' });
    expect(config.api.port).toBe(8080);
    expect(config.worker.concurrency).toEqual({ coordinator: 8, build: 2, labTest: 1, watch: 4 });
    expect(config.auth.tokens).toEqual([]);
  });

  it('reads YAML, lets the environment override it and the command line override both', async () => {
    const path = file(
      'service.yaml',
      'redis:\n  url: redis://redis:6379\napi:\n  port: 9000\nauth:\n  tokens:\n    - name: ci\n      token: 0123456789abcdef\n',
    );
    const config = await loadConfig({
      file: path,
      env: {
        PORT: '9100',
        KBISECT_TOKENS: 'alice=fedcba9876543210,anonymoustoken',
        LOG_LEVEL: 'warn',
      },
      overrides: { 'api.port': 9200 },
    });
    expect(config.redis.url).toBe('redis://redis:6379');
    expect(config.api.port).toBe(9200);
    expect(config.log.level).toBe('warn');
    expect(config.auth.tokens.map((t) => t.name)).toEqual(['ci', 'alice', 'env-2']);
    expect(config.auth.tokens[1]).toMatchObject({ token: 'fedcba9876543210', write: true });
  });

  it('reads the webhooks section, its secret from KBISECT_WEBHOOK_SECRET, and checks it', async () => {
    const path = file(
      'hooks.yaml',
      'webhooks:\n  secrets:\n    ci-bot: whsec_0123456789abcdef\n  backoffMs: 50\n',
    );
    const config = await loadConfig({
      file: path,
      env: { KBISECT_WEBHOOK_SECRET: 'whsec_fedcba9876543210' },
    });
    expect(config.webhooks).toEqual({
      secret: 'whsec_fedcba9876543210',
      secrets: { 'ci-bot': 'whsec_0123456789abcdef' },
      attempts: 8,
      backoffMs: 50,
      timeoutMs: 10_000,
    });
    expect((await loadConfig({ env: {} })).webhooks.secret).toBeUndefined();
    const problems = await problemsOf(
      loadConfig({ file: path, env: { KBISECT_WEBHOOK_SECRET: 'short' } }),
    );
    expect(problems.join('\n')).toMatch(
      /webhooks\.secret: .*\(from environment KBISECT_WEBHOOK_SECRET\)/,
    );
  });

  it('reads the mail section with its defaults, and refuses one that cannot send', async () => {
    const config = await loadConfig({
      file: file(
        'mail.yaml',
        'mail:\n  from: "kbisect <kbisect@example.org>"\n  smtp:\n    host: smtp.example.org\n' +
          '    auth: { user: kbisect, passwordEnv: KBISECT_SMTP_PASSWORD }\n',
      ),
      env: {},
    });
    expect(config.mail).toMatchObject({
      smtp: { host: 'smtp.example.org', port: 587, tls: 'starttls' },
      getMaintainer: false,
      attempts: 8,
    });
    expect(
      await problemsOf(
        loadConfig({ file: file('nomail.yaml', 'mail:\n  from: kbisect@example.org\n'), env: {} }),
      ),
    ).toEqual(['mail needs smtp (a relay) or mbox (a dry run)']);
    expect(
      await problemsOf(
        loadConfig({
          file: file(
            'twopw.yaml',
            'mail:\n  from: kbisect@example.org\n  smtp:\n    host: h\n' +
              '    auth: { user: u, passwordEnv: P, passwordFile: /run/secrets/p }\n',
          ),
          env: {},
        }),
      ),
    ).toEqual(['mail.smtp.auth needs exactly one of passwordEnv and passwordFile']);
  });

  it('reads the same configuration from JSON', async () => {
    const path = file('service.json', JSON.stringify({ redis: { prefix: 'lab-a' } }));
    expect((await loadConfig({ file: path, env: {} })).redis.prefix).toBe('lab-a');
  });

  it('lists every problem with its field and where the value came from', async () => {
    const path = file(
      'broken.yaml',
      'api:\n  port: 70000\n  prot: 1\nworker:\n  lockDurationMs: 1\n',
    );
    const problems = await problemsOf(
      loadConfig({ file: path, env: { REDIS_URL: 'http://not-redis', KBISECT_TOKENS: 'short' } }),
    );
    const text = problems.join('\n');
    expect(text).toMatch(new RegExp(`api\\.port: .*\\(from file ${path}\\)`));
    expect(text).toMatch(/unknown|additional properties: prot/);
    expect(text).toMatch(/worker\.lockDurationMs: /);
    expect(text).toMatch(/redis\.url: .*\(from environment REDIS_URL\)/);
    expect(text).toMatch(/auth\.tokens.*\(from environment KBISECT_TOKENS\)/);
  });

  it('says so when the file cannot be read or parsed', async () => {
    expect((await problemsOf(loadConfig({ file: join(dir, 'missing.yaml'), env: {} })))[0]).toMatch(
      /cannot read the file/,
    );
    const path = file('bad.yaml', 'redis: [unclosed\n');
    expect((await problemsOf(loadConfig({ file: path, env: {} })))[0]).toMatch(/not valid YAML/);
    const list = file('list.yaml', '- a\n- b\n');
    expect((await problemsOf(loadConfig({ file: list, env: {} })))[0]).toMatch(/top level/);
  });
});
