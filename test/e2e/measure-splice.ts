import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KernelBuilder } from '@kbisect/build';
import { openRepository } from '@kbisect/git';
import { deployKernel, installProgram, LabSession } from '@kbisect/lab';
import {
  buildSpliceBench,
  runSpliceBench,
  SPLICE_LOOPBACK_DEFAULTS,
  type SpliceBenchOptions,
} from '@kbisect/oracle';
import { kernelRepo } from '../fixtures/kernel-repo/kernel-repo.js';
import { LAB_KERNEL_SPEC } from './lab-kernel-spec.js';
import { ensureLabVm } from './lab-vm.js';

/**
 * Measures splice-bench in the lab VM on the pristine kernel and on each planted bug, before
 * a bisect is built on those numbers (issue 5, section 4):
 *   tsx test/e2e/measure-splice.ts [--runs 3] [--seconds 3]
 */
const { values } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, seconds: { type: 'string', default: '3' } },
});
const runs = Number(values.runs);
const seconds = Number(values.seconds);
const cacheDir = process.env.KBISECT_E2E_CACHE ?? join(homedir(), '.cache', 'kbisect', 'e2e');
const fixture = await kernelRepo();
const repo = await openRepository({ source: fixture.dir, cacheDir: join(cacheDir, 'git') });
const builder = await KernelBuilder.create({
  spec: LAB_KERNEL_SPEC,
  cacheDir: join(cacheDir, 'build'),
});
const signal = new AbortController().signal;

const kernels = [
  ['pristine 6.1', fixture.base],
  ['3.7 logic', fixture.variants['3.7'].culprit],
  ['tail-more', fixture.variants['tail-more'].culprit],
] as const;
const workloads: [string, SpliceBenchOptions][] = [
  ['rr 16 KiB', { ...SPLICE_LOOPBACK_DEFAULTS, responseSize: 16384, durationSeconds: seconds }],
  ['rr 64 KiB (oracle default)', { ...SPLICE_LOOPBACK_DEFAULTS, durationSeconds: seconds }],
  ['bulk 256 MiB', { pattern: 'bulk', bytes: 256 * 1024 * 1024, timeoutSeconds: 10 }],
];

const built = [];
for (const [name, commit] of kernels) {
  const { evidence, artifact } = await builder.build(repo, commit, signal);
  if (!artifact) throw new Error(`${name} does not build: ${evidence.logTail}`);
  console.log(
    `${name}: ${artifact.release} (${evidence.cached ? 'cached' : `built in ${evidence.seconds.toFixed(0)} s`})`,
  );
  built.push({ name, artifact });
}
const vm = await ensureLabVm(join(cacheDir, 'lab-vm'), built[0]?.artifact.image as string);
const session = new LabSession(vm.config);
const bench = await buildSpliceBench({ static: true });
try {
  for (const { name, artifact } of built) {
    const deployment = await deployKernel(session, {
      image: artifact.image as string,
      release: artifact.release as string,
    });
    console.log(
      `\n== ${name} (${deployment.release}): kexec -e → SSH ${deployment.timings.rebootSeconds.toFixed(1)} s, deploy total ${deployment.timings.totalSeconds.toFixed(1)} s`,
    );
    const remote = await installProgram(session, bench.binaryPath);
    for (const [label, options] of workloads) {
      for (let run = 0; run < runs; run++) {
        const started = performance.now();
        const r = await runSpliceBench(session.runner(), remote, options);
        const wall = (performance.now() - started) / 1000;
        const rate =
          r.pattern === 'rr'
            ? `${(r.transactionsPerSec ?? 0).toFixed(1)} txn/s`
            : `${(r.throughput.bytesPerSec / 1e6).toFixed(0)} MB/s`;
        console.log(
          `${label.padEnd(28)} run ${run + 1}: ${r.hang ? 'HANG' : rate.padStart(12)}  stalls>30ms ${String(r.stalls.count).padStart(4)}  longest ${r.stalls.longestGapMs.toFixed(0).padStart(5)} ms  buckets ${JSON.stringify(r.stalls.buckets)}  delayedAcks ${r.delayedAcks}  wall ${wall.toFixed(1)} s`,
        );
      }
    }
  }
} finally {
  session.disconnect();
  await vm.stop();
}
