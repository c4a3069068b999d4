import type { JournalEntry } from './journal.js';
import { median } from './stats/descriptive.js';

export interface TimeLeftInput {
  journal: readonly JournalEntry[];
  /** Tests still to run, counting the one about to start (bisect steps, then confirmations). */
  tests: number;
  /** Oracle runs a commit starts with (the policy's `initialSamples`). */
  samplesPerTest: number;
  /** The endpoints: their calibration runs say what one run costs, not what a step costs. */
  endpoints: readonly string[];
  /**
   * Calibration runs still due in the current look, before the tests: priced at one run's
   * cost each. Later looks are not counted: most calibrations stop at the look that knows,
   * and one that goes on shows it at its next look.
   */
  calibrationRuns?: number;
}

/** What one more test is made of, each part the median of what the journal measured. */
export interface TestCost {
  /** A build of a commit not built before (cached builds cost nothing and say nothing). */
  buildSeconds: number;
  /** Per test besides its runs: deploying and booting a kernel on a lab, leasing it. */
  overheadSeconds: number;
  /** One oracle run. */
  sampleSeconds: number;
  /** Runs a tested commit needed, or `samplesPerTest` before any was tested. */
  samples: number;
}

/**
 * Roughly how long the bisect still takes: the tests left times what one test cost so far,
 * from the measured parts (build, deploy, runs) rather than whole steps, so the first step's
 * estimate already stands on the endpoints' builds and calibration runs. Undefined until
 * something was measured. An estimate, as git's "roughly N steps" is: a commit that needs
 * more runs, or a cold build after warm ones, makes it grow.
 */
export function estimateTimeLeft(input: TimeLeftInput): number | undefined {
  const cost = testCost(input);
  if (!cost) return undefined;
  const calibrating = (input.calibrationRuns ?? 0) * cost.sampleSeconds;
  const perTest = cost.buildSeconds + cost.overheadSeconds + cost.samples * cost.sampleSeconds;
  return Math.round(calibrating + Math.max(0, input.tests) * perTest);
}

/** The cost of one more test from the journal, or undefined when nothing was measured yet. */
export function testCost({
  journal,
  samplesPerTest,
  endpoints,
}: TimeLeftInput): TestCost | undefined {
  const measured = journal.filter((e) => e.source === 'oracle' && e.evidence);
  const builds = measured
    .map((e) => e.evidence?.build)
    .filter((b) => b !== undefined && !b.cached)
    .map((b) => b?.seconds ?? 0);
  const runs = measured.flatMap((e) => e.evidence?.samples ?? []).map((s) => s.seconds);
  if (builds.length === 0 && runs.length === 0) return undefined;
  const overheads = measured
    .filter((e) => e.evidence?.testSeconds !== undefined && e.evidence.samples?.length)
    .map((e) => {
      const sampled = (e.evidence?.samples ?? []).reduce((sum, s) => sum + s.seconds, 0);
      return Math.max(0, (e.evidence?.testSeconds ?? 0) - sampled);
    });
  const tested = measured
    .filter((e) => !endpoints.includes(e.commit) && e.evidence?.samples?.length)
    .map((e) => e.evidence?.samples?.length ?? 0);
  return {
    buildSeconds: builds.length > 0 ? median(builds) : 0,
    overheadSeconds: overheads.length > 0 ? median(overheads) : 0,
    sampleSeconds: runs.length > 0 ? median(runs) : 0,
    samples: tested.length > 0 ? median(tested) : samplesPerTest,
  };
}
