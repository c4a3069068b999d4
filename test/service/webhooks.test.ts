import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '@kbisect/notify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceHarness } from './support/service-harness.js';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const secret = `whsec_${randomBytes(16).toString('hex')}`;
let service: ServiceHarness;
let receiver: Server;
let base: string;
const received: Received[] = [];
let flakyFailures = 2;

beforeAll(async () => {
  // A receiver on loopback: /ok answers 204, /flaky answers 503 twice and then 204.
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      if (req.url === '/flaky' && flakyFailures > 0) {
        flakyFailures--;
        res.writeHead(503).end('busy');
        return;
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  service = await ServiceHarness.start('webhooks', {
    webhooks: { secret, attempts: 5, backoffMs: 50, timeoutMs: 5000 },
  });
  await service.startWorker();
}, 60_000);
afterAll(async () => {
  await service?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

async function deliveries(id: string) {
  const response = await service.request('GET', `/v1/bisects/${id}/deliveries`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { deliveries: { attempt: number; outcome: string }[] })
    .deliveries;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('webhooks of the service', () => {
  it('POSTs one signed bisect.finished with the culprit, and retries a failing receiver', async () => {
    const [okId, flakyId] = await Promise.all([
      service.submit(service.spec({ webhook: `${base}/ok` })),
      service.submit(service.spec({ webhook: `${base}/flaky` })),
    ]);
    await Promise.all([service.waitForEnd(okId), service.waitForEnd(flakyId)]);

    const ok = await waitFor('the delivery to /ok', async () =>
      (await deliveries(okId)).some((d) => d.outcome === 'delivered') ? true : undefined,
    );
    expect(ok).toBe(true);
    const posts = received.filter((r) => r.path === '/ok');
    expect(posts).toHaveLength(1);
    const [post] = posts as [Received];
    expect(post.headers['x-kbisect-event']).toBe('bisect.finished');
    expect(verifySignature({ secret, body: post.body, headers: post.headers })).toBe(true);
    expect(verifySignature({ secret: `${secret}x`, body: post.body, headers: post.headers })).toBe(
      false,
    );
    const body = JSON.parse(post.body.toString('utf8'));
    expect(body).toMatchObject({
      event: 'bisect.finished',
      bisectId: okId,
      status: 'found',
      result: { status: 'found', culprit: service.project.culprit },
    });
    // No api.publicUrl and port 0: the address the API got, not the configured port 0.
    expect(body.url).toBe(`${service.api.url}/v1/bisects/${okId}`);

    const log = await waitFor('the third attempt to /flaky', async () => {
      const list = await deliveries(flakyId);
      return list.some((d) => d.outcome === 'delivered') ? list : undefined;
    });
    expect(log.map((d) => [d.attempt, d.outcome])).toEqual([
      [1, 'retrying'],
      [2, 'retrying'],
      [3, 'delivered'],
    ]);
    expect(log[0]).toMatchObject({ event: 'bisect.finished', origin: base, statusCode: 503 });
    const flaky = received.filter((r) => r.path === '/flaky');
    expect(flaky).toHaveLength(3);
    // One delivery: the same id on every retry, each signed.
    expect(new Set(flaky.map((r) => r.headers['x-kbisect-delivery'])).size).toBe(1);
    for (const r of flaky) {
      expect(verifySignature({ secret, body: r.body, headers: r.headers })).toBe(true);
    }
  }, 60_000);

  it('answers 404 for the deliveries of an unknown bisect', async () => {
    const response = await service.request('GET', '/v1/bisects/bnope/deliveries');
    expect(response.status).toBe(404);
  });
});

describe('a service without a webhook secret', () => {
  let bare: ServiceHarness;
  beforeAll(async () => {
    bare = await ServiceHarness.start('webhooks-nosecret');
  });
  afterAll(() => bare?.close());

  it('refuses a bisect with a webhook (422) and says what to configure', async () => {
    const response = await bare.request('POST', '/v1/bisects', {
      body: bare.spec({ webhook: 'http://127.0.0.1:9/hook' }),
      token: bare.tokens.writer,
    });
    expect(response.status).toBe(422);
    const body = (await response.json()) as { message: string };
    expect(body.message).toContain('webhooks.secret');
    expect(body.message).toContain('KBISECT_WEBHOOK_SECRET');
  });

  it('refuses a watch with notify targets (422), naming each target, instead of failing later', async () => {
    const response = await bare.request('POST', '/v1/watches', {
      body: {
        repo: bare.project.dir,
        branch: 'main',
        cron: '0 2 * * *',
        build: { command: 'make -s' },
        oracle: { kind: 'command', command: 'true' },
        notify: [{ id: 'team-hook', url: 'http://127.0.0.1:9/hook' }],
      },
      token: bare.tokens.writer,
    });
    expect(response.status).toBe(422);
    const body = (await response.json()) as {
      message: string;
      details: { path: string; message: string }[];
    };
    expect(body.message).toContain('KBISECT_WEBHOOK_SECRET');
    expect(body.details).toEqual([
      { path: 'body/notify/0', message: 'no signing secret for target "team-hook"' },
    ]);
  });
});
