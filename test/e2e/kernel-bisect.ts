import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startApi } from '@kbisect/api';
import { KernelBuilder } from '@kbisect/build';
import { loadConfig } from '@kbisect/config';
import type { BisectSpec, LabSpec } from '@kbisect/contracts';
import { openRepository } from '@kbisect/git';
import { VM_FILES } from '@kbisect/lab/vm';
import { startWorker } from '@kbisect/worker';
import { Redis } from 'ioredis';
import { PLANTED_BUGS, type PlantedBug } from '../fixtures/kernel-repo/history.js';
import { kernelRepo } from '../fixtures/kernel-repo/kernel-repo.js';
import { type BisectScenario, runBisectScenario } from './kernel-bisect-scenario.js';
import { runWatchScenario } from './kernel-watch.js';
import { LAB_KERNEL_SPEC, LAB_VM_FRAGMENT } from './lab-kernel-spec.js';
import { STALL_CHECK, TRANSACTION_RATE } from './lab-user-tests.js';
import { ensureLabVm } from './lab-vm.js';

/**
 * `npm run e2e:kernel`: kernel bisects of the generated 6.1 history (test/fixtures/kernel-repo)
 * through the service. A private redis-server on a free loopback port, the API and a worker in
 * this process with a configuration naming the lab VM (its lab.json); then each scenario asked
 * for, one after the other on the same service and the same VM boot:
 * - default: POST /v1/bisects with a kernel build spec, `lab: {name}` (or `{pool}`) and the
 *   splice-loopback oracle on the `--bug` variant, followed to the end over the API;
 * - `--oracle command|metric`: the same bisect with a user's shell test run on the lab instead
 *   (lab-user-tests.ts: a request/response transfer that exits 1 when it stalls, or prints its
 *   transactions per second);
 * - `--watch`: a nightly watch on a branch of the fixture, two good runs, then a pushed
 *   tail-more regression that its bisect must name (kernel-watch.ts);
 * - `--ci`: the watch, then the command bisect of the 3.7 variant and the metric bisect of the
 *   tail-more variant (what .ci/run runs).
 * Kernels are built in ~/.cache/kbisect/e2e (KBISECT_E2E_CACHE), shared with `npm run
 * test:lab`, so nothing is rebuilt when it is warm. Exit code 0 when every scenario passed.
 */
const { values } = parseArgs({
  options: {
    bug: { type: 'string', default: '3.7' },
    /** The oracle of the bisect: kbisect's splice-loopback, or a user's script on the lab. */
    oracle: { type: 'string', default: 'splice' },
    /** splice-loopback: `rate` (rr txn/s, higher is better) or `stalls` (stalled ms/s, lower). */
    measure: { type: 'string', default: 'rate' },
    'calibration-samples': { type: 'string', default: '6' },
    /** Per scenario. */
    'timeout-minutes': { type: 'string', default: '60' },
    /** Name the VM's pool (`lab: {pool}`) instead of the VM itself: the pool lease path. */
    pool: { type: 'boolean', default: false },
    /** Skip the culprit re-test, the parent re-test and the revert build (saves ~1.5 min). */
    'no-confirm': { type: 'boolean', default: false },
    /**
     * Bisects build only the commit under test, never the next ones ahead (`speculate: false`);
     * throughput oracles never build ahead here anyway: the service knows the VM shares the
     * build host's cores (`sharesBuildHost`).
     */
    'no-speculate': { type: 'boolean', default: false },
    /** A nightly watch instead of a bisect: kernel-watch.ts (the tail-more variant). */
    watch: { type: 'boolean', default: false },
    ci: { type: 'boolean', default: false },
  },
});
if (values.measure !== 'rate' && values.measure !== 'stalls') {
  throw new Error(`--measure ${values.measure}: expected rate or stalls`);
}
if (!['splice', 'command', 'metric'].includes(values.oracle)) {
  throw new Error(`--oracle ${values.oracle}: expected splice, command or metric`);
}
const cacheDir = process.env.KBISECT_E2E_CACHE ?? join(homedir(), '.cache', 'kbisect', 'e2e');
const t0 = performance.now();
const clock = () => `${((performance.now() - t0) / 1000).toFixed(1).padStart(7)} s`;
const log = (line: string) => console.log(`[${clock()}] ${line}`);
const short = (sha: string) => sha.slice(0, 12);

const fixture = await kernelRepo({ log: (line) => log(`fixture: ${line}`) });
log(`fixture ${fixture.cached ? 'cached' : 'generated'} in ${fixture.dir}`);
const variantOf = (bug: string) => {
  const variant = fixture.variants[bug as PlantedBug];
  if (!variant)
    throw new Error(`unknown --bug ${bug}; one of ${Object.keys(fixture.variants).join(', ')}`);
  return variant;
};

// The lab VM boots the pristine base's kernel by default: built (or found) here, with the
// service's kernel builder and cache; every other kernel is built by the service's build jobs.
const repo = await openRepository({ source: fixture.dir, cacheDir: join(cacheDir, 'git') });
const builder = await KernelBuilder.create({
  spec: LAB_KERNEL_SPEC,
  cacheDir: join(cacheDir, 'build'),
});
const good = await builder.build(repo, fixture.base, new AbortController().signal);
if (!good.artifact?.image || !good.evidence.release) {
  throw new Error(`the base commit does not build:\n${good.evidence.logTail}`);
}
log(
  `lab VM default kernel ${good.evidence.release} (${good.evidence.cached ? 'cached' : `built from scratch in ${good.evidence.seconds.toFixed(0)} s`})`,
);
const vmDir = join(cacheDir, 'lab-vm');
const vm = await ensureLabVm(vmDir, good.artifact.image, (line) => log(`lab-vm: ${line}`));
log(
  `lab VM ${vm.config.name} pid ${vm.pid} on 127.0.0.1:${vm.config.port}, SSH up after ${vm.startSeconds.toFixed(1)} s`,
);

const kernelBuild: NonNullable<BisectSpec['build']> = {
  kernel: {
    config: { defconfig: 'tinyconfig', fragments: [LAB_VM_FRAGMENT] },
    arch: 'x86_64',
    targets: ['bzImage'],
    timeoutSeconds: 40 * 60,
  },
};
const lab: LabSpec = values.pool ? { pool: vm.config.pool } : { name: vm.config.name };
const timeoutMinutes = Number(values['timeout-minutes']);
const calibrationSamples = Number(values['calibration-samples']);

type Scenario = { name: string; run: (apiUrl: string) => Promise<boolean> };
const bisect = (bug: PlantedBug, oracle: string, measure: 'rate' | 'stalls' = 'rate'): Scenario => {
  const variant = variantOf(bug);
  const common = {
    repoDir: fixture.dir,
    variant,
    build: kernelBuild,
    lab,
    bootBisect: 'boot' in PLANTED_BUGS[bug],
    confirm: !values['no-confirm'],
    // The QEMU lab VM is on loopback, so its config shares the build host's cores: the service
    // builds nothing ahead for the throughput oracles measured there (a build ahead cut good
    // kernels from 1800-2800 to 100-280 txn/s on 2 cores, and the metric bisect failed), and
    // still builds ahead for the command oracle, whose exit codes do not care.
    speculate: !values['no-speculate'],
    timeoutMinutes,
    log,
  };
  const byOracle: Record<string, Pick<BisectScenario, 'oracle' | 'decision' | 'unit'>> = {
    splice: {
      oracle: { kind: 'splice-loopback', ...(measure === 'stalls' ? { measure } : {}) },
      decision: { calibrationSamples },
      unit: measure === 'stalls' ? 'stalled ms/s' : 'txn/s',
    },
    // Exit codes are exact: one run per commit, no calibration to speak of.
    command: { oracle: STALL_CHECK, decision: {}, unit: 'exit code' },
    metric: {
      oracle: TRANSACTION_RATE,
      decision: { calibrationSamples, direction: 'higher-is-better' },
      unit: 'txn/s',
    },
  };
  const chosen = byOracle[oracle] as (typeof byOracle)['splice'];
  return {
    name: `bisect ${bug} with ${oracle === 'splice' ? `splice-loopback ${measure}` : `${oracle}: ${chosen.oracle.kind !== 'splice-loopback' ? chosen.oracle.command : ''}`}`,
    run: (apiUrl) => runBisectScenario({ apiUrl, ...common, ...chosen }),
  };
};
const watch: Scenario = {
  name: 'nightly watch, tail-more pushed',
  run: (apiUrl) =>
    runWatchScenario({
      apiUrl,
      repoDir: fixture.dir,
      variant: variantOf('tail-more'),
      build: kernelBuild,
      lab,
      timeoutMinutes,
      log,
    }),
};
const scenarios: Scenario[] = values.ci
  ? [watch, bisect('3.7', 'command'), bisect('tail-more', 'metric')]
  : values.watch
    ? [watch]
    : [bisect(values.bug as PlantedBug, values.oracle, values.measure)];

const children: ChildProcess[] = [];
const cleanups: Array<() => Promise<unknown>> = [];
const outcomes: string[] = [];
let exitCode = 1;
// Stopped from outside (Ctrl-C, a CI time limit): the VM and redis-server go too.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping the service, redis-server and the lab VM`);
    void stopAll().finally(() => process.exit(130));
  });
}
async function stopAll(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  for (const child of children.splice(0)) child.kill('SIGTERM');
  await vm.stop();
}
try {
  const redisPort = await freePort();
  const redisServer = spawn(
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  children.push(redisServer);
  await waitForRedis(redisPort);
  log(`redis-server pid ${redisServer.pid} on 127.0.0.1:${redisPort}`);

  // The service's cache: its own worktrees, the e2e's mirror (the kernel trees are keyed by
  // the mirror) and the e2e's kernel build cache.
  const serviceDir = join(cacheDir, 'service');
  mkdirSync(serviceDir, { recursive: true });
  if (!existsSync(join(serviceDir, 'mirrors'))) symlinkSync('../git', join(serviceDir, 'mirrors'));
  const e2eMbox = join(serviceDir, 'mail', `kbisect-${process.pid}.mbox`);
  const config = await loadConfig({
    env: {},
    overrides: {
      'redis.url': `redis://127.0.0.1:${redisPort}`,
      'redis.prefix': 'kbisect-e2e',
      'api.port': 0,
      'auth.disabled': true,
      cacheDir: serviceDir,
      kernelBuildDir: join(cacheDir, 'build'),
      labs: [join(vmDir, VM_FILES.labConfig)],
      // The report mails of the bisects (notify in kernel-bisect-scenario.ts), as a dry run.
      mail: { from: 'kbisect e2e <kbisect@kbisect.invalid>', mbox: e2eMbox },
      // The watch scenario's one-minute cron: a night is a minute here.
      'watches.minIntervalSeconds': 60,
      'log.level': 'info',
    },
  });
  const serviceLog = join(serviceDir, `service-${process.pid}.log`);
  const logDestination = createWriteStream(serviceLog);
  const api = await startApi(config, { logDestination });
  cleanups.push(() => api.close());
  const worker = await startWorker(config, { logDestination });
  cleanups.push(() => worker.close());
  log(`service up: API ${api.url}, worker; JSON logs in ${serviceLog}; report mails in ${e2eMbox}`);

  let passed = 0;
  for (const scenario of scenarios) {
    const started = performance.now();
    log(`== ${scenario.name}`);
    const ok = await scenario.run(api.url).catch((error: unknown) => {
      log(`${scenario.name}: ${(error as Error).stack ?? error}`);
      return false;
    });
    const line = `${ok ? 'PASSED' : 'FAILED'} ${scenario.name} in ${((performance.now() - started) / 1000).toFixed(0)} s`;
    outcomes.push(line);
    log(line);
    if (ok) passed++;
  }
  exitCode = passed === scenarios.length ? 0 : 1;
} finally {
  await stopAll();
  log('service, redis-server and lab VM stopped');
}
console.log(
  `\n${outcomes.join('\n')}\nwall ${clock().trim()}; lab VM ${short(fixture.base)} default`,
);
process.exit(exitCode);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

async function waitForRedis(port: number): Promise<void> {
  const until = Date.now() + 10_000;
  for (;;) {
    const redis = new Redis({
      host: '127.0.0.1',
      port,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
    });
    redis.on('error', () => {});
    try {
      await redis.connect();
      await redis.ping();
      return;
    } catch (error) {
      if (Date.now() > until) throw error;
      await sleep(100);
    } finally {
      redis.disconnect();
    }
  }
}
