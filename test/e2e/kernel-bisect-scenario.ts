import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startApi } from '@kbisect/api';
import { KernelBuilder } from '@kbisect/build';
import type { Confirmation, JournalEntry } from '@kbisect/core';
import { openRepository } from '@kbisect/git';
import { VM_FILES } from '@kbisect/lab/vm';
import {
  type BisectSpec,
  isTerminal,
  type LabSpec,
  loadConfig,
  type ResultObject,
} from '@kbisect/queue';
import { startWorker } from '@kbisect/worker';
import { Redis } from 'ioredis';
import { PLANTED_BUGS, type PlantedBug } from '../fixtures/kernel-repo/history.js';
import { kernelRepo } from '../fixtures/kernel-repo/kernel-repo.js';
import { runWatchScenario } from './kernel-watch.js';
import { LAB_KERNEL_SPEC, LAB_VM_FRAGMENT } from './lab-kernel-spec.js';
import { ensureLabVm } from './lab-vm.js';

/**
 * `npm run e2e:kernel`: the kernel bisect of kernel-bisect-in-process.ts, through the
 * service. A private redis-server on a free loopback port, the API and a worker in this
 * process with a configuration naming the lab VM (its lab.json), then POST /v1/bisects with a
 * kernel build spec, `lab: {name}` and the splice-loopback oracle, followed to the end over
 * the API. Build jobs use the same kernel cache as the in-process run (~/.cache/kbisect/e2e),
 * so nothing is rebuilt when it is warm. Exit code 0 when the culprit is the planted commit.
 */
const { values } = parseArgs({
  options: {
    bug: { type: 'string', default: '3.7' },
    /** `rate` (rr txn/s, higher is better) or `stalls` (stalled ms per second, lower). */
    measure: { type: 'string', default: 'rate' },
    'calibration-samples': { type: 'string', default: '6' },
    'timeout-minutes': { type: 'string', default: '90' },
    /** Name the VM's pool (`lab: {pool}`) instead of the VM itself: the pool lease path. */
    pool: { type: 'boolean', default: false },
    /** Skip the culprit re-test, the parent re-test and the revert build (saves ~1.5 min). */
    'no-confirm': { type: 'boolean', default: false },
    /** A nightly watch instead of a bisect: kernel-watch.ts (the tail-more variant). */
    watch: { type: 'boolean', default: false },
  },
});
const bug = (values.watch ? 'tail-more' : values.bug) as PlantedBug;
const bootBisect = bug in PLANTED_BUGS && 'boot' in PLANTED_BUGS[bug];
if (values.measure !== 'rate' && values.measure !== 'stalls') {
  throw new Error(`--measure ${values.measure}: expected rate or stalls`);
}
const cacheDir = process.env.KBISECT_E2E_CACHE ?? join(homedir(), '.cache', 'kbisect', 'e2e');
const t0 = performance.now();
const clock = () => `${((performance.now() - t0) / 1000).toFixed(1).padStart(7)} s`;
const log = (line: string) => console.log(`[${clock()}] ${line}`);
const short = (sha: string) => sha.slice(0, 12);

const fixture = await kernelRepo({ log: (line) => log(`fixture: ${line}`) });
const variant = fixture.variants[bug];
if (!variant)
  throw new Error(`unknown --bug ${bug}; one of ${Object.keys(fixture.variants).join(', ')}`);
log(
  `fixture ${fixture.cached ? 'cached' : 'generated'}: ${variant.commitCount} commits, planted ${short(variant.culprit)}, unbuildable ${variant.unbuildable.map(short).join(' ')}`,
);

// The lab VM boots the good endpoint's kernel by default: built (or found) here, as the
// in-process run does; every other kernel is built by the service's build jobs.
const repo = await openRepository({ source: fixture.dir, cacheDir: join(cacheDir, 'git') });
const builder = await KernelBuilder.create({
  spec: LAB_KERNEL_SPEC,
  cacheDir: join(cacheDir, 'build'),
});
const good = await builder.build(repo, variant.good, new AbortController().signal);
if (!good.artifact?.image || !good.evidence.release) {
  throw new Error(`the good endpoint does not build:\n${good.evidence.logTail}`);
}
log(
  `lab VM default kernel ${good.evidence.release} (${good.evidence.cached ? 'cached' : `built from scratch in ${good.evidence.seconds.toFixed(0)} s`})`,
);
const vmDir = join(cacheDir, 'lab-vm');
const vm = await ensureLabVm(vmDir, good.artifact.image, (line) => log(`lab-vm: ${line}`));
log(
  `lab VM ${vm.config.name} pid ${vm.pid} on 127.0.0.1:${vm.config.port}, SSH up after ${vm.startSeconds.toFixed(1)} s`,
);

const children: ChildProcess[] = [];
const cleanups: Array<() => Promise<unknown>> = [];
let exitCode = 1;
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
      'log.level': 'info',
    },
  });
  const serviceLog = join(serviceDir, `service-${process.pid}.log`);
  const logDestination = createWriteStream(serviceLog);
  const api = await startApi(config, { logDestination });
  cleanups.push(() => api.close());
  const worker = await startWorker(config, { logDestination });
  cleanups.push(() => worker.close());
  log(`service up: API ${api.url}, worker; JSON logs in ${serviceLog}`);

  const kernelBuild: NonNullable<BisectSpec['build']> = {
    kernel: {
      config: { defconfig: 'tinyconfig', fragments: [LAB_VM_FRAGMENT] },
      arch: 'x86_64',
      targets: ['bzImage'],
      timeoutSeconds: 40 * 60,
    },
  };
  const lab: LabSpec = values.pool ? { pool: vm.config.pool } : { name: vm.config.name };
  if (values.watch) {
    const found = await runWatchScenario({
      apiUrl: api.url,
      repoDir: fixture.dir,
      variant,
      build: kernelBuild,
      lab,
      timeoutMinutes: Number(values['timeout-minutes']),
      log,
    });
    log(`watch scenario ${found ? 'passed' : 'FAILED'}, wall ${clock().trim()}`);
    exitCode = found ? 0 : 1;
  } else {
    const spec: BisectSpec = {
      repo: fixture.dir,
      good: variant.good,
      bad: variant.bad,
      build: kernelBuild,
      lab,
      oracle: {
        kind: 'splice-loopback',
        ...(values.measure === 'stalls' ? { measure: 'stalls' as const } : {}),
      },
      decision: { calibrationSamples: Number(values['calibration-samples']) },
      // A kernel that stops booting is the regression itself: a boot bisect.
      ...(bootBisect ? { bootFailure: 'bad' as const } : {}),
      confirm: !values['no-confirm'],
    };
    const posted = await fetch(`${api.url}/v1/bisects`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(spec),
    });
    const created = (await posted.json()) as { id?: string; message?: string };
    if (posted.status !== 201 || !created.id) {
      throw new Error(`POST /v1/bisects: ${posted.status} ${JSON.stringify(created)}`);
    }
    const id = created.id;
    log(`POST /v1/bisects → 201 ${id} (lab ${JSON.stringify(spec.lab)})`);

    // Follow over the API: the journal grows by one verdict per step, with its evidence.
    interface View {
      status: string;
      progress?: { phase: string; commit: string; remaining: number; stepsLeft: number };
      journal: JournalEntry[];
      result?: ResultObject;
    }
    const deadline = Date.now() + Number(values['timeout-minutes']) * 60_000;
    let seen = 0;
    let lastProgress = '';
    let view: View;
    for (;;) {
      const response = await fetch(`${api.url}/v1/bisects/${id}`);
      view = (await response.json()) as View;
      const progress = view.progress
        ? `${view.progress.phase} ${short(view.progress.commit)} (${view.progress.remaining} candidates, ~${view.progress.stepsLeft} steps left)`
        : '';
      if (progress && progress !== lastProgress) log(progress);
      lastProgress = progress;
      for (const entry of view.journal.slice(seen)) log(`  ${stepLine(entry)}`);
      seen = view.journal.length;
      if (isTerminal(view.status as never)) break;
      if (Date.now() > deadline)
        throw new Error(`bisect ${id} still ${view.status} at the deadline`);
      await sleep(1000);
    }

    console.log(
      '\nper step (build = kernel build job, boot = upload + kexec + SSH back, test = all samples):',
    );
    console.log(
      `commit        verdict  build s  boot s  test s  samples (${values.measure === 'stalls' ? 'stalled ms/s' : 'txn/s'})`,
    );
    let buildTotal = 0;
    let bootTotal = 0;
    let testTotal = 0;
    for (const entry of view.journal) {
      const t = timings(entry);
      buildTotal += t.build ?? 0;
      bootTotal += t.boot ?? 0;
      testTotal += t.test ?? 0;
      console.log(
        `${short(entry.commit)}  ${entry.verdict.padEnd(7)} ${fmt(t.build)}${t.cached ? '*' : ' '}${fmt(t.boot)} ${fmt(t.test)}  ${t.samples.map((v) => v.toFixed(0)).join(' ')}`,
      );
    }
    const result = view.result;
    console.log('(* = kernel from the build cache)');
    console.log(
      `\nbisect ${id} ${view.status}: revisions tested ${view.journal.length}, oracle runs ${result?.oracleRuns ?? '-'}; build ${buildTotal.toFixed(0)} s, boot ${bootTotal.toFixed(0)} s, test ${testTotal.toFixed(0)} s (boot is part of test); service total ${result?.seconds?.total.toFixed(0) ?? '-'} s, wall ${clock().trim()}`,
    );
    if (result?.reason || result?.error) console.log(`reason: ${result.reason ?? result.error}`);
    const skipped = view.journal.filter((e) => e.verdict === 'skip').map((e) => e.commit);
    const tested = new Set(view.journal.map((e) => e.commit));
    const unbuildableTested = variant.unbuildable.filter((c) => tested.has(c));
    const confirmations = (result?.confirmations ?? []) as Confirmation[];
    for (const c of confirmations) {
      console.log(
        `confirmation ${c.check} ${short(c.commit)}: ${c.passed ? 'passed' : 'FAILED'}${c.note ? ` (${c.note})` : ''}${c.entry?.evidence?.decision ? ` — ${(c.entry.evidence.decision as { summary?: string }).summary ?? ''}` : ''}`,
      );
    }
    const confirmed =
      values['no-confirm'] ||
      (['culprit-is-bad', 'parent-is-good', 'revert-is-good'] as const).every((check) =>
        confirmations.some((c) => c.check === check && c.passed),
      );
    const found = result?.status === 'found' && result.culprit === variant.culprit && confirmed;
    const skipsRight = unbuildableTested.every((c) => skipped.includes(c));
    console.log(
      `result: ${result?.status} ${result?.culprit ?? ''}${result?.effect ? ` (${result.effect})` : ''}`,
    );
    console.log(
      `planted culprit ${short(variant.culprit)}: ${found ? 'FOUND' : 'NOT FOUND'} through the service; unbuildable commit ${unbuildableTested.length ? (skipsRight ? 'tested and skipped' : 'tested and NOT skipped') : 'not visited by the bisect'}`,
    );
    // A boot bisect must have seen the kernel not boot: verdicts bad for that reason.
    const bootFailures = view.journal.filter((e) => e.evidence?.badReason === 'boot-failed').length;
    if (bootBisect) console.log(`boot failures counted bad: ${bootFailures}`);
    exitCode = found && skipsRight && (!bootBisect || bootFailures > 0) ? 0 : 1;
  }
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  for (const child of children) child.kill('SIGTERM');
  await vm.stop();
  log('service, redis-server and lab VM stopped');
}
process.exit(exitCode);

function timings(entry: JournalEntry) {
  const evidence = entry.evidence;
  const build = evidence?.build as { seconds?: number; cached?: boolean } | undefined;
  const samples = evidence?.samples ?? [];
  const boot = samples
    .map((s) => (s.detail?.deployment as { totalSeconds?: number } | undefined)?.totalSeconds)
    .find((s) => s !== undefined);
  return {
    build: build?.seconds,
    cached: build?.cached === true,
    boot,
    test: evidence?.testSeconds,
    samples: samples.map((s) => s.value ?? Number.NaN),
  };
}

function stepLine(entry: JournalEntry): string {
  const t = timings(entry);
  const evidence = entry.evidence;
  return `verdict ${short(entry.commit)}: ${entry.verdict}; build ${fmt(t.build).trim()} s${t.cached ? ' (cached)' : ''}, boot ${fmt(t.boot).trim()} s, test ${fmt(t.test).trim()} s, samples ${t.samples.map((v) => v.toFixed(0)).join(' ')}${evidence?.skipReason ? ` — skip: ${evidence.skipReason}${evidence.note ? ` ${evidence.note.split('\n')[0]}` : ''}` : ''}${evidence?.badReason ? ` — bad: ${evidence.badReason} ${evidence.note?.split('\n')[0] ?? ''}` : ''}${evidence?.decision ? ` — ${(evidence.decision as { summary?: string }).summary ?? ''}` : ''}`;
}

function fmt(value: number | undefined): string {
  return (value === undefined ? '-' : value.toFixed(1)).padStart(7);
}

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
