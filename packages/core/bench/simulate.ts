import { type ConfirmationRetest, confirmationRepair } from '../src/confirmation-repair.js';
import type { DecisionPolicy } from '../src/decision.js';
import type { Sample } from '../src/evidence.js';
import type { Journal, JournalEntry } from '../src/journal.js';
import type { BisectRange } from '../src/range.js';
import type { NextStep } from '../src/result.js';
import type { History } from './history.js';
import { measure, type NoiseModel } from './oracle-model.js';
import type { Prng } from './prng.js';

export type NextStepFn = (
  range: BisectRange,
  journal: Journal,
  opts?: { checkEndpoints?: boolean },
) => NextStep;

export type Outcome = 'correct' | 'wrong' | 'inconclusive';

export interface BisectRun {
  outcome: Outcome;
  /** Oracle runs, calibration included. */
  runs: number;
  /** Commits built and given a verdict after calibration. */
  steps: number;
  /** Why the bisect did not name the culprit, for inconclusive and wrong results. */
  why?: string;
  /** A wrong culprit that the confirmation re-test turned into an inconclusive result. */
  caughtWrong?: boolean;
}

/** The endpoints' calibration runs, shared by the modes compared on one history. */
export interface CalibrationRuns {
  good: Sample[];
  bad: Sample[];
}

/**
 * Runs of each endpoint, up to `samplesPerEndpoint` and then on to `ceiling` (the runs a
 * calibration of near endpoints may take past its cap): the runs up to the cap are drawn
 * first, so they stay the same whatever the ceiling.
 */
export function measureEndpoints(
  rng: Prng,
  model: NoiseModel,
  samplesPerEndpoint: number,
  ceiling: number = samplesPerEndpoint,
): CalibrationRuns {
  const take = (isBad: boolean, n: number) =>
    Array.from({ length: n }, () => measure(rng, isBad, model));
  const good = take(false, samplesPerEndpoint);
  const bad = take(true, samplesPerEndpoint);
  const more = ceiling - samplesPerEndpoint;
  return { good: [...good, ...take(false, more)], bad: [...bad, ...take(true, more)] };
}

/**
 * One bisect the way the driver runs it: calibration samples recorded as the endpoints'
 * verdicts, then nextStep → build (or skip) → samples until the policy decides → journal.
 */
export function simulateBisect(
  nextStep: NextStepFn,
  history: History,
  model: NoiseModel,
  calibration: CalibrationRuns,
  policy: DecisionPolicy | null,
  rng: Prng,
  confirm: boolean,
): BisectRun {
  const { range } = history;
  let runs = calibration.good.length + calibration.bad.length;
  // Not distinguishable: the bisect refuses to start, which is an inconclusive result.
  if (!policy) return { outcome: 'inconclusive', runs, steps: 0, why: 'not distinguishable' };
  const journal: JournalEntry[] = [
    ...range.goods.map((commit) => ({
      commit,
      verdict: 'good' as const,
      source: 'oracle' as const,
      evidence: { samples: calibration.good },
    })),
    { commit: range.bad, verdict: 'bad', source: 'oracle', evidence: { samples: calibration.bad } },
  ];
  let steps = 0;
  const evaluate = (commit: string) => {
    const isBad = history.bad.has(commit);
    const samples: Sample[] = [];
    const take = (count: number) => {
      for (let i = 0; i < count; i++) samples.push(measure(rng, isBad, model));
      runs += count;
    };
    take(policy.initialSamples);
    for (;;) {
      const decision = policy.decide(samples);
      if (decision.kind === 'verdict') return { decision, samples };
      take(decision.count);
    }
  };
  for (let guard = 0; guard < 10_000; guard++) {
    const step = nextStep(range, journal, { checkEndpoints: true });
    if (step.kind === 'done') {
      const { result } = step;
      if (result.kind !== 'found') {
        return {
          outcome: 'inconclusive',
          runs,
          steps,
          why: result.kind === 'inconclusive' ? result.reason : result.kind,
        };
      }
      if (confirm) {
        // As the driver's `confirm`: fresh samples of the culprit and its first parent must
        // say bad and good again; one that overturned its verdict corrects the journal and the
        // bisect goes on (`confirmationRepair`), else the result is reported inconclusive.
        const parent = range.commits.find((c) => c.sha === result.culprit)?.parents[0];
        const right = result.culprit === history.culprit ? 'right' : 'wrong';
        const retest = (check: ConfirmationRetest['check'], commit: string) => {
          const { decision, samples } = evaluate(commit);
          const entry: JournalEntry = {
            commit,
            verdict: decision.verdict,
            source: 'oracle',
            evidence: { samples, decision: decision.evidence },
          };
          return { check, commit, entry };
        };
        const retests = [
          retest('culprit-is-bad', result.culprit),
          ...(parent ? [retest('parent-is-good', parent)] : []),
        ];
        const repair = confirmationRepair(range, journal, retests);
        if (repair) {
          journal.push(repair);
          continue;
        }
        const [culpritVerdict, parentVerdict = 'good'] = retests.map((r) => r.entry.verdict);
        if (culpritVerdict !== 'bad') {
          return {
            outcome: 'inconclusive',
            runs,
            steps,
            why: `${right} culprit re-tested ${culpritVerdict}`,
            caughtWrong: right === 'wrong',
          };
        }
        if (parentVerdict !== 'good') {
          return {
            outcome: 'inconclusive',
            runs,
            steps,
            why: `${right} culprit's parent re-tested ${parentVerdict}`,
            caughtWrong: right === 'wrong',
          };
        }
      }
      return result.culprit === history.culprit
        ? { outcome: 'correct', runs, steps }
        : { outcome: 'wrong', runs, steps, why: 'wrong culprit' };
    }
    steps++;
    const { commit } = step;
    if (history.unbuildable.has(commit)) {
      journal.push({
        commit,
        verdict: 'skip',
        source: 'oracle',
        evidence: { build: { ok: false, seconds: 0 }, skipReason: 'build-failed' },
      });
      continue;
    }
    const { decision, samples } = evaluate(commit);
    journal.push({
      commit,
      verdict: decision.verdict,
      source: 'oracle',
      evidence: {
        samples,
        decision: decision.evidence,
        ...(decision.skipReason ? { skipReason: decision.skipReason } : {}),
      },
    });
  }
  throw new Error(`nextStep did not finish on a range of ${range.commits.length} commits`);
}
