/**
 * `npm run bench:api`: figures of the service on this machine, with Redis on loopback.
 *   1. POST /v1/bisects → the coordinator picks the job up (p50/p99); the POST alone (it
 *      resolves the refs: a `git fetch` of the mirror), and the 201 → pickup part;
 *   2. SSE fan-out: log lines per second delivered to 50 followers of one bisect;
 *   3. GET /v1/bisects/:id throughput with autocannon (a finished bisect with its journal).
 * Uses REDIS_URL if set (keys under a unique prefix, deleted at the end), else a private
 * redis-server on a free port. BENCH_POSTS, BENCH_LINES, BENCH_SECONDS scale the runs.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startApi } from '@kbisect/api';
import { loadConfig, type ServiceConfig } from '@kbisect/config';
import { startWorker } from '@kbisect/worker';
import { createParser } from 'eventsource-parser';
import { createLoopbackProject } from '../../../test/fixtures/loopback-project.js';
import {
  type PrivateRedis,
  startPrivateRedis,
} from '../../../test/service/support/private-redis.js';
import { deleteKeys } from '../../../test/support/test-redis.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const POSTS = Number(process.env.BENCH_POSTS ?? 50);
const LINES = Number(process.env.BENCH_LINES ?? 20_000);
const FOLLOWERS = 50;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const say = (text: string) => process.stderr.write(`bench: ${text}\n`);

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
};

const work = mkdtempSync(join(tmpdir(), 'kbisect-bench-'));
const project = createLoopbackProject(join(work, 'repo'));
const token = randomBytes(16).toString('hex');
const prefix = `kbisect-bench-${process.pid}-${randomBytes(3).toString('hex')}`;
let redis: PrivateRedis | undefined;
if (!process.env.REDIS_URL) redis = await startPrivateRedis();
const redisUrl = process.env.REDIS_URL ?? (redis as PrivateRedis).url;
const config: ServiceConfig = await loadConfig({
  env: {},
  overrides: {
    'redis.url': redisUrl,
    'redis.prefix': prefix,
    'api.port': 0,
    'auth.tokens': [{ name: 'bench', token }],
    cacheDir: join(work, 'cache'),
    // The bench cancels fifty bisects on purpose: their warnings are not news.
    'log.level': 'error',
  },
});
const api = await startApi(config);
const worker = await startWorker(config);
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
const spec = (build: string) => ({
  repo: project.dir,
  good: 'v1.0',
  bad: 'main',
  build: { command: build },
  oracle: { kind: 'command', command: "grep -q 'RECORD_SIZE 65536' main.c" },
});
const post = async (body: unknown) => {
  const response = await fetch(`${api.url}/v1/bisects`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  });
  if (response.status !== 201) throw new Error(`POST: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { id: string }).id;
};
const view = async (id: string) =>
  (await (await fetch(`${api.url}/v1/bisects/${id}`)).json()) as {
    status: string;
    startedAt?: string;
  };

const figures: Record<string, unknown> = {};
try {
  // 1. POST → coordinator pickup. Each bisect's first build hangs until it is cancelled, so
  // the coordinator slots free up again before the next POST.
  say(`POST → pickup: ${POSTS} bisects, one after the other`);
  const postMs: number[] = [];
  const pickupMs: number[] = [];
  const queuedMs: number[] = [];
  for (let i = 0; i < POSTS; i++) {
    const t0 = Date.now();
    const id = await post(spec('sleep 60'));
    const t1 = Date.now();
    postMs.push(t1 - t0);
    let started: string | undefined;
    while (!started) {
      started = (await view(id)).startedAt;
      if (!started) await new Promise((r) => setTimeout(r, 1));
    }
    pickupMs.push(Date.parse(started) - t0);
    // The job is queued before the 201 leaves, so a worker may start it before it arrives.
    queuedMs.push(Math.max(0, Date.parse(started) - t1));
    await fetch(`${api.url}/v1/bisects/${id}/cancel`, { method: 'POST', headers, body: '{}' });
    while ((await view(id)).status !== 'cancelled') await new Promise((r) => setTimeout(r, 5));
  }
  figures.postMs = { p50: quantile(postMs, 0.5), p99: quantile(postMs, 0.99) };
  figures.postToPickupMs = { p50: quantile(pickupMs, 0.5), p99: quantile(pickupMs, 0.99) };
  figures.createdToPickupMs = { p50: quantile(queuedMs, 0.5), p99: quantile(queuedMs, 0.99) };

  // A real finished bisect: the GET benchmark reads its record and journal.
  say('running one real bisect for the GET benchmark');
  const finished = await post(spec('make -s'));
  while (['queued', 'running'].includes((await view(finished)).status)) {
    await new Promise((r) => setTimeout(r, 100));
  }
  await worker.close();

  // 2. SSE fan-out: 50 followers of one bisect, LINES log lines written as fast as Redis takes them.
  say(`SSE fan-out: ${LINES} lines to ${FOLLOWERS} followers`);
  const fanout = await post(spec('sleep 60'));
  const { createStores, connectRedis } = await import('@kbisect/queue');
  const producerRedis = connectRedis(redisUrl, 'kbisect-bench-producer');
  const stores = createStores(producerRedis, config);
  const followers = await Promise.all(
    Array.from({ length: FOLLOWERS }, () => follow(`${api.url}/v1/bisects/${fanout}/events`)),
  );
  await Promise.all(followers.map((f) => f.ready));
  const t0 = performance.now();
  for (let i = 0; i < LINES; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, LINES - i) }, (_, j) =>
        stores.events.append(fanout, 'log', {
          level: 30,
          time: Date.now(),
          bisectId: fanout,
          msg: `line ${i + j}`,
        }),
      ),
    );
  }
  await stores.events.append(fanout, 'end', { status: 'cancelled' });
  const counts = await Promise.all(followers.map((f) => f.done));
  const seconds = (performance.now() - t0) / 1000;
  producerRedis.disconnect();
  if (counts.some((c) => c < LINES))
    throw new Error(`a follower missed lines: ${counts.join(',')}`);
  figures.sse = {
    followers: FOLLOWERS,
    linesPerFollower: LINES,
    seconds: Number(seconds.toFixed(2)),
    linesPerSecondPerFollower: Math.round(LINES / seconds),
    linesPerSecondDelivered: Math.round((LINES * FOLLOWERS) / seconds),
  };

  // 3. GET /v1/bisects/:id with autocannon.
  say(`autocannon: GET /v1/bisects/${finished} for ${SECONDS} s, 50 connections`);
  const cannon = await autocannon(`${api.url}/v1/bisects/${finished}`, SECONDS);
  figures.get = {
    requestsPerSecond: Math.round(cannon.requests.average),
    latencyMs: { p50: cannon.latency.p50, p99: cannon.latency.p99 },
    bytesPerResponse: Math.round(cannon.throughput.average / cannon.requests.average),
    errors: cannon.errors + cannon.non2xx,
  };
} finally {
  await worker.close();
  await api.close();
  if (redis) await redis.stop();
  else await deleteKeys(redisUrl, prefix);
  rmSync(work, { recursive: true, force: true });
}

process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);

/** One SSE follower: counts `log` events until `end`. */
function follow(url: string) {
  let count = 0;
  let markReady = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const done = (async () => {
    const response = await fetch(url);
    markReady();
    const parser = createParser({
      onEvent(message) {
        if (message.event === 'log') count += 1;
      },
    });
    const decoder = new TextDecoder();
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      parser.feed(decoder.decode(chunk, { stream: true }));
    }
    return count;
  })();
  return { ready, done };
}

interface AutocannonResult {
  requests: { average: number };
  latency: { p50: number; p99: number };
  throughput: { average: number };
  errors: number;
  non2xx: number;
}

function autocannon(url: string, seconds: number): Promise<AutocannonResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      join(ROOT, 'node_modules/.bin/autocannon'),
      ['-c', '50', '-d', String(seconds), '-j', url],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.on('error', reject);
    child.on('close', () => {
      try {
        resolve(JSON.parse(out) as AutocannonResult);
      } catch (error) {
        reject(error);
      }
    });
  });
}
