import { fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MAX_CONFIRMATION_REPAIRS } from '../src/confirmation-repair.js';
import { RECOMMENDED_CALIBRATION_SAMPLES } from '../src/stats/calibrate.js';
import { NEAR_BASELINES_RUNS_FACTOR } from '../src/stats/rank-test-power.js';
import {
  CELLS,
  type CellOptions,
  type CellResult,
  checkTargets,
  formatFailures,
  formatTable,
} from './noise-bench.js';
import type { CellRequest } from './noise-worker.js';

/**
 * `npm run bench:noise [-- --runs N --seed S --jobs J --cells TEXT --why]`: how often the
 * statistical mode and a one-run threshold name the right culprit on synthetic noisy
 * histories, driving the real `nextStep`. Cells run in J worker processes; every history has
 * its own seed, so the table does not depend on J. Exits 1 when the targets are missed, so it
 * can gate a change to the statistics.
 *
 * While working on one cell: `--cells 'CV 2-3%' --runs 100 --jobs 1 --why` runs the cells
 * whose "CV, effect" label contains the text, 100 bisects each (the first 100 of the full
 * run's, as every history has its own seed), and `--why` prints why the rank-test bisects
 * that did not name the culprit failed (refused and which check, only skipped commits left,
 * a re-test that disagreed). Run it under `nice -n 19` on a shared machine.
 */
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '400' },
    cells: { type: 'string' },
    seed: { type: 'string', default: 'kbisect' },
    jobs: { type: 'string', default: String(Math.min(2, availableParallelism())) },
    why: { type: 'boolean', default: false },
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
    'parents). Both modes start from the same calibration, which looks at 6, 12, 24 and ' +
    `${RECOMMENDED_CALIBRATION_SAMPLES} runs per endpoint and stops at the first look that tells ` +
    `good and bad apart, or goes on to ${2 * RECOMMENDED_CALIBRATION_SAMPLES} and ` +
    `${NEAR_BASELINES_RUNS_FACTOR * RECOMMENDED_CALIBRATION_SAMPLES} where they differ but are ` +
    'too near for the rank test (calib.: its mean runs, counted in runs); rank-test re-tests ' +
    'culprit and parent before naming them, and goes on from a verdict a re-test overturned ' +
    `(at most ${MAX_CONFIRMATION_REPAIRS} times).\n`,
);
const started = performance.now();
// `--cells 'CV 1-3%'`: only the cells whose "CV, effect" label contains the text.
const chosen = CELLS.map((_, i) => i).filter((i) => {
  const cell = CELLS[i] as (typeof CELLS)[number];
  return !values.cells || `${cell.cv.label}, effect ${cell.effect.label}`.includes(values.cells);
});
const results: CellResult[] = new Array(CELLS.length);
// The noisiest cells take longest: start them first so the workers finish together.
const queue = chosen.reverse();

await Promise.all(
  Array.from(
    { length: Math.min(jobs, queue.length) },
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

const measured = results.filter((cell) => cell !== undefined);
console.log(formatTable(measured));
if (values.why) console.log(formatFailures(measured));
const check = checkTargets(measured);
for (const line of check.lines) console.log(line);
console.log(
  check.met
    ? 'TARGETS MET: at CV <= 15% and effect >= 20%, and at CV 1-3% with effects 3-10%, rank-test names the culprit in >= 99% of bisects (at CV <= 15%, effect >= 20%, with <= 3x the runs of threshold); no wrong culprit in any cell'
    : 'TARGETS MISSED (see above)',
);
console.log(`(${((performance.now() - started) / 1000).toFixed(0)} s)`);
process.exit(check.met ? 0 : 1);
