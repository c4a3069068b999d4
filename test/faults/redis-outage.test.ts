import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedJournal } from '../service/support/expected-journal.js';
import { type PrivateRedis, startPrivateRedis } from '../service/support/private-redis.js';
import { ServiceHarness } from '../service/support/service-harness.js';
import { ended, verdictsOf, waitForBisect } from './support/wait.js';

const KBISECT = join(dirname(fileURLToPath(import.meta.url)), '../../apps/cli/bin/kbisect.js');

/** A redis-server of the test's own, with AOF, stopped and started by its pid mid-bisect. */
let redis: PrivateRedis;
let service: ServiceHarness;

beforeAll(async () => {
  redis = await startPrivateRedis({ appendOnly: true });
  service = await ServiceHarness.start('redis-outage', { redisUrl: redis.url });
});
afterAll(async () => {
  if (redis && service) await redis.restart().catch(() => {});
  await service?.close();
  await redis?.stop();
});

/** The time a request takes to answer, and its status. */
async function timed(request: () => Promise<Response>) {
  const started = Date.now();
  const response = await request();
  return { status: response.status, ms: Date.now() - started, body: await response.text() };
}

describe('Redis stopped and started in the middle of a bisect', () => {
  it('answers 503 at once while it is away, runs nothing late, and the bisect ends as if nothing happened', async () => {
    const expected = await expectedJournal(service.project, join(service.work, 'reference'));
    await service.startWorker();
    const id = await service.submit(service.spec({ build: { command: 'sleep 0.2; make -s' } }));
    await waitForBisect(service, id, (v) => v.journal.length >= 2, 'two verdicts');

    await redis.kill();
    const read = await timed(() => service.request('GET', `/v1/bisects/${id}`));
    expect(read.status).toBe(503);
    expect(read.ms).toBeLessThan(1000);
    expect(read.body).toMatch(/Redis is unreachable/);
    // A POST while Redis is away is refused at once and never carried out later.
    const post = await timed(() =>
      service.request('POST', '/v1/bisects', {
        body: service.spec({ labels: { during: 'outage' } }),
        token: service.tokens.writer,
      }),
    );
    expect(post.status).toBe(503);
    expect(post.ms).toBeLessThan(1000);
    expect((await service.request('GET', '/healthz')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 3000));
    await redis.restart();

    const view = await waitForBisect(service, id, ended, 'the end');
    expect(view.status).toBe('found');
    expect(view.result?.culprit).toBe(service.project.culprit);
    expect(verdictsOf(view)).toEqual(expected);
    const list = (await (await service.request('GET', '/v1/bisects')).json()) as {
      bisects: { id: string }[];
    };
    expect(list.bisects.map((b) => b.id)).toEqual([id]);
  });
});

describe('kbisect serve whose Redis has gone away', () => {
  let serve: ChildProcess | undefined;
  afterAll(() => {
    if (serve?.exitCode === null && serve.signalCode === null) serve.kill('SIGKILL');
  });

  it('stops on SIGTERM within a few seconds', async () => {
    if (redis.pid === undefined) throw new Error('no Redis');
    await redis.restart().catch(() => {});
    let output = '';
    serve = spawn(process.execPath, [KBISECT, 'serve', '--config', service.configFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, KBISECT_TOKENS: '', REDIS_URL: '', KBISECT_CONFIG: '' },
    });
    serve.stdout?.on('data', (c: Buffer) => {
      output += c.toString();
    });
    serve.stderr?.on('data', (c: Buffer) => {
      output += c.toString();
    });
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      serve?.on('exit', (code, signal) => resolve({ code, signal })),
    );
    const deadline = Date.now() + 60_000;
    while (!output.includes('worker ready')) {
      if (Date.now() > deadline || serve.exitCode !== null) {
        throw new Error(`kbisect serve did not start:\n${output.slice(-3000)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }

    await redis.kill();
    await new Promise((r) => setTimeout(r, 500));
    const stopping = Date.now();
    serve.kill('SIGTERM');
    const exit = await Promise.race([
      exited,
      new Promise<'still running'>((r) => setTimeout(() => r('still running'), 15_000)),
    ]);
    expect(exit, output.slice(-3000)).toEqual({ code: 0, signal: null });
    expect(Date.now() - stopping).toBeLessThan(6000);
    expect(output).toMatch(/could not stop cleanly \(is Redis unreachable\?\)/);
  });
});
