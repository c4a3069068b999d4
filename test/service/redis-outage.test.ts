import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type OpenApi, openApi } from '@kbisect/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateRedis, startPrivateRedis } from './support/private-redis.js';
import { testTokens, writeTestConfig } from './support/test-config.js';

/** Stops and restarts a redis-server of its own; the machine's shared Redis is never touched. */
let redis: PrivateRedis;
let api: OpenApi;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kbisect-outage-'));
  redis = await startPrivateRedis();
  const { config } = await writeTestConfig(work, {
    redisUrl: redis.url,
    prefix: 'kbisect-outage',
    cacheDir: join(work, 'cache'),
    tokens: testTokens(),
  });
  api = await openApi({ ...config, log: { level: 'silent' } });
});
afterAll(async () => {
  await api?.app.close();
  await redis?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('/readyz while Redis goes away and comes back', () => {
  it('answers 200, then 503 while Redis is down, then 200 again once it is back', async () => {
    const ready = () => api.app.inject({ method: 'GET', url: '/readyz' });
    expect((await ready()).statusCode).toBe(200);
    await redis.kill();
    const down = await ready();
    expect(down.statusCode).toBe(503);
    expect(down.json().ok).toBe(false);
    // Liveness does not depend on Redis: the process itself is fine.
    expect((await api.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    await redis.restart();
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (status !== 200 && Date.now() < deadline) {
      status = (await ready()).statusCode;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
  });
});
