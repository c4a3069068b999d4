import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KernelBuilder } from '@kbisect/build';
import {
  type BisectEvent,
  calibrate,
  type JournalEntry,
  runBisect,
  statisticalPolicy,
} from '@kbisect/core';
import { openRepository, resolveRange } from '@kbisect/git';
import { LabLeases, LabSession } from '@kbisect/lab';
import { buildSpliceBench, SPLICE_LOOPBACK_DEFAULTS } from '@kbisect/oracle';
import { Redis } from 'ioredis';
import { PLANTED_BUGS, type PlantedBug } from '../fixtures/kernel-repo/history.js';
import { kernelRepo } from '../fixtures/kernel-repo/kernel-repo.js';
import { kernelLabEnvironment } from './kernel-lab-environment.js';
import { LAB_KERNEL_SPEC } from './lab-kernel-spec.js';
import { ensureLabVm } from './lab-vm.js';

/**
 * `npm run e2e:kernel -- --in-process [--bug 3.7|tail-more]`: bisects a real Linux 6.1 history with a
 * planted splice regression. Every step builds the commit's kernel (out of tree, reused
 * build directory, ccache), kexecs the QEMU lab VM into it over SSH, and runs splice-bench
 * in the VM; the verdicts come from the statistical policy calibrated on the endpoints.
 * Exit code 0 when the culprit is the planted commit.
 */
const { values } = parseArgs({
  options: {
    bug: { type: 'string', default: '3.7' },
    'calibration-samples': { type: 'string', default: '6' },
  },
});
const bug = values.bug as PlantedBug;
const cacheDir = process.env.KBISECT_E2E_CACHE ?? join(homedir(), '.cache', 'kbisect', 'e2e');
const t0 = performance.now();
const clock = () => `${((performance.now() - t0) / 1000).toFixed(1).padStart(7)} s`;
const log = (line: string) => console.log(`[${clock()}] ${line}`);

const fixture = await kernelRepo({ log: (line) => log(`fixture: ${line}`) });
const variant = fixture.variants[bug];
if (!variant)
  throw new Error(`unknown --bug ${bug}; one of ${Object.keys(fixture.variants).join(', ')}`);
log(
  `fixture ${fixture.cached ? 'cached' : 'generated'}: ${variant.commitCount} commits, planted ${variant.culprit.slice(0, 12)}, unbuildable ${variant.unbuildable.map((c) => c.slice(0, 12)).join(' ')}`,
);

const repo = await openRepository({ source: fixture.dir, cacheDir: join(cacheDir, 'git') });
const builder = await KernelBuilder.create({
  spec: LAB_KERNEL_SPEC,
  cacheDir: join(cacheDir, 'build'),
});
log(`toolchain: ${builder.toolchain.cc} (${builder.toolchain.description})`);

log(`building the good endpoint ${variant.good.slice(0, 12)}: the lab VM's default kernel`);
const good = await builder.build(repo, variant.good, new AbortController().signal);
if (!good.artifact?.image || !good.evidence.release) {
  throw new Error(`the good endpoint does not build:\n${good.evidence.logTail}`);
}
log(
  `good kernel ${good.evidence.release}: ${good.evidence.cached ? 'cached' : `built in ${good.evidence.seconds.toFixed(0)} s`}`,
);

const vm = await ensureLabVm(join(cacheDir, 'lab-vm'), good.artifact.image, (line) =>
  log(`lab-vm: ${line}`),
);
log(
  `lab VM pid ${vm.pid} on 127.0.0.1:${vm.config.port}, SSH up after ${vm.startSeconds.toFixed(1)} s`,
);
const redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 2 });
const session = new LabSession(vm.config);
const spliceBench = await buildSpliceBench({ static: true });

interface StepRecord {
  commit: string;
  build?: number;
  cachedBuild?: boolean;
  boot?: number;
  samples: number[];
  verdict?: string;
}
const steps = new Map<string, StepRecord>();
const step = (commit: string) => {
  let record = steps.get(commit);
  if (!record) {
    record = { commit, samples: [] };
    steps.set(commit, record);
  }
  return record;
};

const env = kernelLabEnvironment({
  source: repo,
  builder,
  session,
  leases: new LabLeases(redis, { prefix: `kbisect-e2e-${process.pid}:` }),
  holder: 'e2e-kernel',
  spliceBench: spliceBench.binaryPath,
  bench: SPLICE_LOOPBACK_DEFAULTS,
  defaultRelease: good.evidence.release,
  onDeploy: (commit, deployment) => {
    step(commit).boot = deployment.timings.totalSeconds;
    log(
      `  kexec ${commit.slice(0, 12)}: upload ${deployment.timings.uploadSeconds.toFixed(1)} s, kexec -l ${deployment.timings.kexecLoadSeconds.toFixed(1)} s, kexec -e → SSH ${deployment.timings.rebootSeconds.toFixed(1)} s; runs ${deployment.release}`,
    );
  },
  onBootFailure: (commit, failure) =>
    log(`  boot failure ${commit.slice(0, 12)}: ${failure.reason}`),
});

const onEvent = (event: BisectEvent) => {
  switch (event.type) {
    case 'step':
      log(
        `${event.phase} ${event.commit.slice(0, 12)} (${event.remaining} candidates, ~${event.stepsLeft} steps left)`,
      );
      return;
    case 'build': {
      const record = step(event.commit);
      record.build = event.seconds;
      log(
        `  build ${event.commit.slice(0, 12)}: ${event.ok ? 'ok' : 'FAILED'} in ${event.seconds.toFixed(1)} s`,
      );
      return;
    }
    case 'sample':
      step(event.commit).samples.push(event.value ?? Number.NaN);
      log(`  sample ${event.index}: ${event.hang ? 'HANG' : `${event.value?.toFixed(1)} txn/s`}`);
      return;
    case 'verdict':
      step(event.entry.commit).verdict = event.entry.verdict;
      log(
        `  verdict ${event.entry.commit.slice(0, 12)}: ${event.entry.verdict}${event.entry.evidence?.skipReason ? ` (${event.entry.evidence.skipReason})` : ''}${event.entry.evidence?.decision ? ` — ${event.entry.evidence.decision.summary}` : ''}`,
      );
      return;
    case 'done':
      return;
  }
};

let exitCode = 1;
try {
  const range = await resolveRange(repo, { good: [variant.good], bad: variant.bad });
  const samplesPerEndpoint = Number(values['calibration-samples']);
  const outcome = await runBisect({
    range,
    env,
    calibration: {
      samplesPerEndpoint,
      calibrate: (goodSamples, badSamples) =>
        statisticalPolicy(calibrate(goodSamples, badSamples, { direction: 'higher-is-better' }), {
          metric: 'rr transactions',
          unit: 'txn/s',
        }),
    },
    checkEndpoints: false,
    // A planted kernel that does not boot is the regression itself: a boot bisect.
    bootFailure: 'boot' in PLANTED_BUGS[bug] ? 'bad' : 'skip',
    onEvent,
  });
  const { result, totals, journal } = outcome;
  console.log(
    '\nper step (build = checkout + configure + compile, boot = upload + kexec + SSH back):',
  );
  console.log('commit        verdict  build s  boot s  samples (txn/s)');
  for (const record of steps.values()) {
    console.log(
      `${record.commit.slice(0, 12)}  ${(record.verdict ?? '-').padEnd(7)} ${(record.build?.toFixed(1) ?? '-').padStart(7)} ${(record.boot?.toFixed(1) ?? '-').padStart(7)}  ${record.samples.map((v) => v.toFixed(0)).join(' ')}`,
    );
  }
  console.log(
    `\nrevisions tested: ${totals.steps}, oracle runs: ${totals.oracleRuns}, total ${totals.totalSeconds.toFixed(0)} s (build ${totals.buildSeconds.toFixed(0)} s, test ${totals.testSeconds.toFixed(0)} s)`,
  );
  const skipped = journal.filter((e: JournalEntry) => e.verdict === 'skip').map((e) => e.commit);
  const unbuildableTested = variant.unbuildable.filter((c) => steps.has(c));
  console.log(`result: ${JSON.stringify(result)}`);
  const found = result.kind === 'found' && result.culprit === variant.culprit;
  const skipsRight = unbuildableTested.every((c) => skipped.includes(c));
  console.log(
    `planted culprit ${variant.culprit.slice(0, 12)}: ${found ? 'FOUND' : 'NOT FOUND'}; unbuildable commit ${unbuildableTested.length ? (skipsRight ? 'tested and skipped' : 'tested and NOT skipped') : 'not visited by the bisect'}`,
  );
  exitCode = found && skipsRight ? 0 : 1;
} finally {
  session.disconnect();
  redis.disconnect();
  await vm.stop();
  log('lab VM stopped');
}
process.exit(exitCode);
