import { fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { RECOMMENDED_CALIBRATION_SAMPLES } from '../src/stats/calibrate.js';
import {
  CELLS,
  type CellOptions,
  type CellResult,
  checkTargets,
  formatTable,
} from './noise-bench.js';
import type { CellRequest } from './noise-worker.js';

/**
 * `npm run bench:noise [-- --runs N --seed S --jobs J]`: how often the statistical mode and
 * a one-run threshold name the right culprit on synthetic noisy histories, driving the real
 * `nextStep`. Cells run in J worker processes; every history has its own seed, so the table
 * does not depend on J. Exits 1 when the targets are missed, so it can gate a change to the
 * statistics.
 */
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '400' },
    seed: { type: 'string', default: 'kbisect' },
    jobs: { type: 'string', default: String(Math.min(2, availableParallelism())) },
  },
});
const positive = (flag: string, text: string) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${flag} '${text}': expected a positive integer`);
    process.exit(2);
  }
  return n;
};
const options: CellOptions = { runs: positive('runs', values.runs), seed: values.seed };
const jobs = positive('jobs', values.jobs);

console.log(
  `noise bench: ${options.runs} bisects per cell, seed '${options.seed}'. Histories of ` +
    '100-10,000 commits (log-uniform) with merged side branches, culprit anywhere, lognormal ' +
    'noise, 2% outliers (x0.3 or x3), 5% unbuildable commits (never the culprit or its ' +
    `parents). Both modes calibrate on ${RECOMMENDED_CALIBRATION_SAMPLES} runs per endpoint ` +
    '(counted in runs); rank-test re-tests culprit and parent before naming them.\n',
);
const started = performance.now();
const results: CellResult[] = new Array(CELLS.length);
// The noisiest cells take longest: start them first so the workers finish together.
const queue = CELLS.map((_, i) => i).reverse();

await Promise.all(
  Array.from(
    { length: Math.min(jobs, CELLS.length) },
    () =>
      new Promise<void>((resolve, reject) => {
        const worker = fork(fileURLToPath(new URL('./noise-worker.ts', import.meta.url)));
        const next = () => {
          const index = queue.shift();
          const request: CellRequest =
            index === undefined ? { kind: 'stop' } : { kind: 'cell', index, options };
          worker.send(request);
        };
        worker.on('message', ({ index, cell }: { index: number; cell: CellResult }) => {
          results[index] = cell;
          process.stderr.write(`  ${cell.cv.label}, effect ${cell.effect.label} done\n`);
          next();
        });
        worker.on('error', reject);
        worker.on('exit', (code) =>
          code === 0 ? resolve() : reject(new Error(`a bench worker exited with ${code}`)),
        );
        next();
      }),
  ),
);

console.log(formatTable(results));
const check = checkTargets(results);
for (const line of check.lines) console.log(line);
console.log(
  check.met
    ? 'TARGETS MET: at CV <= 15% and effect >= 20%, rank-test names the culprit in >= 99% of bisects with <= 3x the runs of threshold; rank-test wrong culprits are rarer than inconclusive results in every cell'
    : 'TARGETS MISSED (see above)',
);
console.log(`(${((performance.now() - started) / 1000).toFixed(0)} s)`);
process.exit(check.met ? 0 : 1);
