/**
 * `npm run demo`: generates a small real C project whose history hides a throughput
 * regression, runs a real `kbisect run` on it (metric oracle: the project's own loopback
 * benchmark, calibrated on the endpoints), and exits 0 only if the planted culprit is found.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLoopbackProject } from '../fixtures/loopback-project.js';
import { demoBisectFlags } from './demo-flags.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const work = mkdtempSync(join(tmpdir(), 'kbisect-demo-'));
const project = createLoopbackProject(join(work, 'lbench'));
process.stderr.write(
  `demo: generated ${project.commitCount} commits in ${project.dir}\n` +
    `demo: planted culprit ${project.culprit}; ${project.unbuildable.length} commits do not compile\n`,
);

const args = [
  join(root, 'apps/cli/bin/kbisect.js'),
  'run',
  ...demoBisectFlags(project),
  '--cache-dir',
  join(work, 'cache'),
  '--json',
];
const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
let stdout = '';
child.stdout.on('data', (chunk: Buffer) => {
  // The JSON result is for this script; the person reads the report kbisect prints on stderr.
  stdout += chunk.toString();
});
const code: number = await new Promise((resolve) => child.on('close', (c) => resolve(c ?? 1)));
const last = stdout.trim().split('\n').at(-1) ?? '{}';
const result = JSON.parse(last) as {
  status: string;
  culprit: string | null;
  steps: number;
  oracleRuns: number;
};
rmSync(work, { recursive: true, force: true });

if (result.culprit === project.culprit) {
  process.stderr.write(
    `demo: PASS — kbisect named the planted culprit ${project.culprit} ` +
      `after ${result.steps} tested commits and ${result.oracleRuns} oracle runs\n`,
  );
  process.exit(0);
}
process.stderr.write(
  `demo: FAIL — expected ${project.culprit}, kbisect said ${result.status} ${result.culprit} (exit ${code})\n`,
);
process.exit(1);
