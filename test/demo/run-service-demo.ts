/**
 * `npm run demo` with the service: Redis (REDIS_URL, or a private redis-server on a free port),
 * `kbisect serve` (the API and a worker), then `kbisect start --wait` POSTs the demo bisect
 * (metric oracle: the project's own loopback benchmark, calibrated on the endpoints) and
 * follows it live to the culprit. Exits 0 only if the planted culprit is named. The dashboard's
 * URL and the demo token are printed first: the page shows the bisect live. With `--keep` the
 * service stays up after the bisect until Ctrl-C, to look at the page at leisure.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { createLoopbackProject } from '../fixtures/loopback-project.js';
import {
  freePort,
  type PrivateRedis,
  startPrivateRedis,
} from '../service/support/private-redis.js';
import { deleteKeys } from '../support/test-redis.js';
import { demoBisectFlags } from './demo-flags.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const kbisect = join(root, 'apps/cli/bin/kbisect.js');
const say = (text: string) => process.stderr.write(`demo: ${text}\n`);

const work = mkdtempSync(join(tmpdir(), 'kbisect-service-demo-'));
const project = createLoopbackProject(join(work, 'lbench'));
say(`generated ${project.commitCount} commits in ${project.dir}`);
say(`planted culprit ${project.culprit}; ${project.unbuildable.length} commits do not compile`);

let redis: PrivateRedis | undefined;
let server: ChildProcess | undefined;
let code = 1;
const prefix = `kbisect-demo-${process.pid}-${randomBytes(3).toString('hex')}`;
const redisUrl = process.env.REDIS_URL;
try {
  if (redisUrl) {
    say(`using the Redis at REDIS_URL (keys under ${prefix}:)`);
  } else {
    redis = await startPrivateRedis();
    say(`started a private redis-server (pid ${redis.pid}) at ${redis.url}`);
  }
  const url = redisUrl ?? (redis as PrivateRedis).url;
  const port = await freePort();
  const token = randomBytes(16).toString('hex');
  const configFile = join(work, 'kbisect.yaml');
  writeFileSync(
    configFile,
    stringify({
      redis: { url, prefix },
      api: { host: '127.0.0.1', port },
      auth: { tokens: [{ name: 'demo', token }] },
      cacheDir: join(work, 'cache'),
      log: { level: 'warn' },
    }),
  );
  server = spawn(process.execPath, [kbisect, 'serve', '--config', configFile], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, KBISECT_TOKENS: '', REDIS_URL: '', PORT: '' },
  });
  const api = `http://127.0.0.1:${port}`;
  await waitUntilReady(api, server);
  say(`kbisect serve is up: API ${api} (docs at ${api}/docs), a worker in the same process`);
  say(`dashboard: ${api}/ui/ (paste the token ${token} when it asks; kept for the tab only)`);

  const start = spawn(
    process.execPath,
    [
      kbisect,
      'start',
      '--server',
      api,
      ...demoBisectFlags(project),
      '--label',
      'source=npm-run-demo',
      '--wait',
      '--json',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, KBISECT_TOKEN: token } },
  );
  let stdout = '';
  start.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  const exit: number = await new Promise((resolve) => start.on('close', (c) => resolve(c ?? 1)));
  const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
    status?: string;
    culprit?: string | null;
    steps?: number;
    oracleRuns?: number;
    effect?: string;
  };
  if (result.culprit === project.culprit && exit === 0) {
    say(
      `PASS — the service named the planted culprit ${project.culprit} after ${result.steps} ` +
        `tested commits and ${result.oracleRuns} oracle runs (${result.effect ?? 'no effect size'})`,
    );
    code = 0;
  } else {
    say(
      `FAIL — expected ${project.culprit}, the service said ${result.status} ${result.culprit} (exit ${exit})`,
    );
  }
  if (process.argv.includes('--keep')) {
    say(`--keep: the service stays up at ${api}/ui/ until Ctrl-C`);
    await new Promise((resolve) => process.once('SIGINT', resolve));
  }
} catch (error) {
  say(`FAIL — ${error instanceof Error ? error.message : String(error)}`);
} finally {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((resolve) => server?.on('exit', resolve));
  }
  if (redis) await redis.stop();
  else if (redisUrl) await deleteKeys(redisUrl, prefix);
  rmSync(work, { recursive: true, force: true });
}
process.exit(code);

async function waitUntilReady(api: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`kbisect serve exited with ${child.exitCode}`);
    try {
      const response = await fetch(`${api}/readyz`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error('kbisect serve did not become ready in 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
}
