import type { DecisionPolicy } from '../src/decision.js';
import { statisticalCalibration } from '../src/driver/statistical-calibration.js';
import { RECOMMENDED_CALIBRATION_SAMPLES } from '../src/stats/calibrate.js';
import { median } from '../src/stats/descriptive.js';
import { NotDistinguishable } from '../src/stats/errors.js';
import { NEAR_BASELINES_RUNS_FACTOR } from '../src/stats/rank-test-power.js';
import type { StatisticalPolicyOptions } from '../src/stats/statistical-policy.js';
import { thresholdPolicy } from '../src/stats/threshold-policy.js';
import { sampleValues } from '../src/stats/values.js';
import { makeHistory } from './history.js';
import type { NoiseModel } from './oracle-model.js';
import { Prng } from './prng.js';
import {
  type BisectRun,
  type CalibrationRuns,
  measureEndpoints,
  type NextStepFn,
  type Outcome,
  simulateBisect,
} from './simulate.js';

export interface Bucket {
  label: string;
  lo: number;
  hi: number;
}

export const CV_BUCKETS: Bucket[] = [
  { label: 'CV 2-5%', lo: 0.02, hi: 0.05 },
  { label: 'CV 5-10%', lo: 0.05, hi: 0.1 },
  { label: 'CV 10-15%', lo: 0.1, hi: 0.15 },
  { label: 'CV 15-30%', lo: 0.15, hi: 0.3 },
];

export const EFFECT_BUCKETS: Bucket[] = [
  { label: '10-20%', lo: 0.1, hi: 0.2 },
  { label: '20-40%', lo: 0.2, hi: 0.4 },
  { label: '40-90%', lo: 0.4, hi: 0.9 },
];

/**
 * A quiet machine's small regressions, what 0-day/LKP reports most: 3-10% on a metric that
 * varies by 1-3%. All are a target, the last cell too, where the effect may be no larger
 * than the CV and one run says little: there the calibration and each commit take more runs
 * (`commitRunCap`, `baselinesPowerful`), not a guess.
 */
export const QUIET_CELLS: readonly { cv: Bucket; effect: Bucket }[] = [
  { cv: { label: 'CV 1-2%', lo: 0.01, hi: 0.02 }, effect: { label: '3-5%', lo: 0.03, hi: 0.05 } },
  { cv: { label: 'CV 1-3%', lo: 0.01, hi: 0.03 }, effect: { label: '5-10%', lo: 0.05, hi: 0.1 } },
  { cv: { label: 'CV 2-3%', lo: 0.02, hi: 0.03 }, effect: { label: '3-5%', lo: 0.03, hi: 0.05 } },
];

export type Mode = 'rank-test' | 'threshold';

export interface Tally {
  bisects: number;
  correct: number;
  wrong: number;
  inconclusive: number;
  notDistinguishable: number;
  /** Wrong culprits that the re-test of culprit and parent turned into inconclusive results. */
  wrongCaught: number;
  runs: number;
  steps: number;
  /**
   * Why the bisects that did not name the culprit failed, counted by reason (a refusal's
   * check, "only skipped commits left", a re-test that did not agree): what to fix first.
   */
  failures: Record<string, number>;
}

export interface CellResult {
  cv: Bucket;
  effect: Bucket;
  /**
   * Endpoint runs a bisect of the cell began with, on average: the calibration stops at the
   * first look that tells the endpoints apart, and both modes start from the same runs.
   */
  calibrationRuns: number;
  modes: Record<Mode, Tally>;
}

export interface CellOptions {
  runs: number;
  seed: string;
  calibrationSamples?: number;
  policy?: StatisticalPolicyOptions;
  /** Re-test culprit and parent in the rank-test mode, as the driver's `confirm` does. */
  confirm?: boolean;
}

/**
 * The cells of the table, in table order: every CV from 2% with effects from 10%, then the
 * quiet cells. They come last so that the older cells keep their index, and so their histories.
 */
export const CELLS: readonly { cv: Bucket; effect: Bucket }[] = [
  ...CV_BUCKETS.flatMap((cv) => EFFECT_BUCKETS.map((effect) => ({ cv, effect }))),
  ...QUIET_CELLS,
];

const emptyTally = (): Tally => ({
  bisects: 0,
  correct: 0,
  wrong: 0,
  inconclusive: 0,
  notDistinguishable: 0,
  wrongCaught: 0,
  runs: 0,
  steps: 0,
  failures: {},
});

/**
 * Runs `runs` bisects in one cell of the table. Each history is bisected twice from the
 * same calibration samples: (a) the rank-test policy, (b) one run per step against the
 * midpoint of the two calibration medians, as a `git bisect run` threshold script would.
 */
export function runCell(nextStep: NextStepFn, index: number, options: CellOptions): CellResult {
  const { cv, effect } = CELLS[index] as (typeof CELLS)[number];
  const calibrationSamples = options.calibrationSamples ?? RECOMMENDED_CALIBRATION_SAMPLES;
  const cell: CellResult = {
    cv,
    effect,
    calibrationRuns: 0,
    modes: { 'rank-test': emptyTally(), threshold: emptyTally() },
  };
  for (let run = 0; run < options.runs; run++) {
    // Every history has its own seed: more runs, other cells or another split over
    // processes never change the histories already in the table.
    const seed = `${options.seed}/${index}/${run}`;
    const rng = new Prng(seed);
    const model: NoiseModel = {
      goodLevel: 9.1,
      regression: rng.uniform(effect.lo, effect.hi),
      cv: rng.uniform(cv.lo, cv.hi),
      outlierRate: 0.02,
    };
    const size = Math.round(100 * 100 ** rng.next());
    const history = makeHistory(rng, { size, branchRate: 0.02, buildFailureRate: 0.05 });
    // Up to the cap, drawn in order: a calibration that stops at a look uses the first runs.
    const endpoints = measureEndpoints(
      new Prng(`${seed}/calibrate`),
      model,
      calibrationSamples,
      NEAR_BASELINES_RUNS_FACTOR * calibrationSamples,
    );
    const { policy, calibration, refusal } = calibrateAsTheDriverDoes(
      endpoints,
      calibrationSamples,
      options.policy,
    );
    cell.calibrationRuns += (calibration.good.length + calibration.bad.length) / options.runs;
    const midpoint =
      (median(sampleValues(calibration.good, 'higher-is-better')) +
        median(sampleValues(calibration.bad, 'higher-is-better'))) /
      2;
    const policies: Record<Mode, DecisionPolicy | null> = {
      'rank-test': policy,
      // git bisect run never refuses to start, so the threshold mode runs on every history.
      threshold: thresholdPolicy({ threshold: midpoint, direction: 'higher-is-better' }),
    };
    for (const mode of ['rank-test', 'threshold'] as const) {
      const result: BisectRun = simulateBisect(
        nextStep,
        history,
        model,
        calibration,
        policies[mode],
        new Prng(`${seed}/${mode}`),
        mode === 'rank-test' && (options.confirm ?? true),
      );
      const tally = cell.modes[mode];
      tally.bisects++;
      tally[result.outcome satisfies Outcome]++;
      if (policies[mode] === null) tally.notDistinguishable++;
      if (result.caughtWrong) tally.wrongCaught++;
      if (result.outcome !== 'correct') {
        const why = failureReason(result, refusal);
        tally.failures[why] = (tally.failures[why] ?? 0) + 1;
      }
      tally.runs += result.runs;
      tally.steps += result.steps;
    }
  }
  return cell;
}

/**
 * The calibration `runBisect` makes with `statisticalCalibration`: look by look until the
 * plan has the policy or refuses (null) at the cap, or past it for near endpoints.
 */
function calibrateAsTheDriverDoes(
  endpoints: CalibrationRuns,
  samplesPerEndpoint: number,
  policy: StatisticalPolicyOptions | undefined,
): { policy: DecisionPolicy | null; calibration: CalibrationRuns; refusal?: string } {
  const plan = statisticalCalibration({
    samplesPerEndpoint,
    calibrate: { direction: 'higher-is-better' },
    ...(policy ? { policy } : {}),
  });
  let runs = 0;
  for (;;) {
    const calibration = { good: endpoints.good.slice(0, runs), bad: endpoints.bad.slice(0, runs) };
    try {
      const step = plan.plan([calibration.good], calibration.bad);
      if (step.kind === 'policy') return { policy: step.policy, calibration };
      runs = step.runs;
    } catch (error) {
      if (!(error instanceof NotDistinguishable)) throw error;
      return { policy: null, calibration, refusal: error.reason };
    }
  }
}

/** A failure's reason without its figures, so that alike failures count together. */
function failureReason(result: BisectRun, refusal: string | undefined): string {
  if (refusal !== undefined) {
    return `refused: ${refusal.replace(/\([^)]*\)/g, '').replace(/[-+]?\d+(\.\d+)?(e-?\d+)?%?/g, '#')}`;
  }
  return result.why ?? result.outcome;
}

/** The goals the statistics were tuned for: moderate noise and effects from 20%. */
export function inTargetRegion(cell: CellResult): boolean {
  return cell.cv.hi <= 0.15 && cell.effect.lo >= 0.2;
}

/** A quiet machine's small regressions (CV 1-3%, effects 3-10%): named as reliably as large ones. */
export function inQuietRegion(cell: CellResult): boolean {
  return cell.cv.hi <= 0.03 && cell.effect.lo >= 0.03;
}

export interface TargetCheck {
  met: boolean;
  lines: string[];
}

/**
 * The targets: no wrong culprit in any cell; >= 99% correct in the target and quiet regions;
 * in the target region at most 3x the runs of the one-run threshold (git bisect run).
 */
export function checkTargets(cells: readonly CellResult[]): TargetCheck {
  const lines: string[] = [];
  let met = true;
  const ratios: { all: number; steps: number }[] = [];
  for (const cell of cells) {
    const a = cell.modes['rank-test'];
    const b = cell.modes.threshold;
    const where = `${cell.cv.label}, effect ${cell.effect.label}`;
    if (inTargetRegion(cell) || inQuietRegion(cell)) {
      const correct = a.correct / a.bisects;
      if (correct < 0.99) {
        met = false;
        lines.push(`MISSED ${where}: rank-test correct ${pct(correct)} < 99%`);
      }
    }
    if (inTargetRegion(cell)) {
      const ratio = a.runs / b.runs;
      const afterCalibration = (t: Tally) => t.runs - cell.calibrationRuns * t.bisects;
      ratios.push({ all: ratio, steps: afterCalibration(a) / afterCalibration(b) });
      if (ratio > 3) {
        met = false;
        lines.push(`MISSED ${where}: rank-test uses ${ratio.toFixed(2)}x the runs of threshold`);
      }
    }
    if (a.wrong > 0) {
      met = false;
      lines.push(`MISSED ${where}: rank-test named a wrong culprit ${a.wrong} times`);
    }
  }
  if (ratios.length > 0) {
    const span = (xs: number[]) => `${Math.min(...xs).toFixed(1)}x-${Math.max(...xs).toFixed(1)}x`;
    lines.push(
      `runs rank-test / threshold at CV <= 15% and effect >= 20%: ${span(ratios.map((r) => r.all))} ` +
        `per bisect; ${span(ratios.map((r) => r.steps))} after the calibration runs both make`,
    );
  }
  return { met, lines };
}

export const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** Each cell's failure reasons in the rank-test mode, most frequent first (`--why`). */
export function formatFailures(cells: readonly CellResult[]): string {
  const lines: string[] = [];
  for (const cell of cells) {
    const { failures, bisects } = cell.modes['rank-test'];
    const reasons = Object.entries(failures).sort((a, b) => b[1] - a[1]);
    if (reasons.length === 0) continue;
    lines.push(
      `${cell.cv.label}, effect ${cell.effect.label}, rank-test did not name the culprit:`,
    );
    for (const [why, n] of reasons) lines.push(`  ${pct(n / bisects).padStart(6)}  ${why}`);
  }
  return lines.join('\n');
}

export function formatTable(cells: readonly CellResult[]): string {
  const header = [
    'CV',
    'effect',
    'mode',
    'correct',
    'wrong',
    'inconcl.',
    '(not-dist.)',
    '(caught)',
    'calib.',
    'runs',
    'steps',
  ];
  const rows: string[][] = [header];
  for (const cell of cells) {
    for (const mode of ['rank-test', 'threshold'] as const) {
      const t = cell.modes[mode];
      const n = t.bisects;
      rows.push([
        cell.cv.label,
        cell.effect.label,
        mode,
        pct(t.correct / n),
        pct(t.wrong / n),
        pct(t.inconclusive / n),
        pct(t.notDistinguishable / n),
        pct(t.wrongCaught / n),
        cell.calibrationRuns.toFixed(1),
        (t.runs / n).toFixed(1),
        (t.steps / n).toFixed(1),
      ]);
    }
  }
  const widths = header.map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i < 3 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
        .join('  '),
    )
    .join('\n');
}
