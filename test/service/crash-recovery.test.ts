import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedJournal } from './support/expected-journal.js';
import { type BisectViewBody, ServiceHarness } from './support/service-harness.js';
import type { WorkerProcess } from './support/worker-process.js';

/**
 * Kill -9 a real worker process in the middle of a step, start another, and the bisect goes
 * on from the journal in Redis: same culprit, same verdicts, none lost, none twice.
 */
let service: ServiceHarness;

/**
 * Each build says it started (a file named after its commit) and then takes a moment more
 * than it needs: the test kills the worker inside the build, with certainty.
 */
const slowBuild = () => ({
  command: `touch ${service.markers}/$KBISECT_COMMIT; sleep 0.5; make -s`,
});

beforeAll(async () => {
  service = await ServiceHarness.startForWorkerKills('crash');
});
afterAll(() => service?.close());

/** Polls until the coordinator has begun a new step after `verdicts` verdicts, and returns. */
async function waitForStepAfter(id: string, verdicts: number, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await service.bisect(id);
    const current = view.progress?.commit;
    const tested = new Set(view.journal.map((e) => e.commit));
    if (view.journal.length >= verdicts && current && !tested.has(current)) return view;
    if (Date.now() > deadline) {
      throw new Error(
        `no step after ${verdicts} verdicts: ${JSON.stringify(view.journal.map((e) => e.commit))}, ` +
          `progress ${JSON.stringify(view.progress)}; worker logs:\n` +
          service.workerLogs(6000),
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The next step after `verdicts` verdicts has started building its commit. */
async function waitForBuildAfter(id: string, verdicts: number) {
  const view = await waitForStepAfter(id, verdicts);
  const commit = view.progress?.commit as string;
  const deadline = Date.now() + 30_000;
  while (!existsSync(join(service.markers, commit))) {
    if (Date.now() > deadline) throw new Error(`the build of ${commit} never started`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return view;
}

const commitsOf = (view: BisectViewBody) => view.journal.map((e) => `${e.commit} ${e.verdict}`);

describe('a bisect whose worker dies mid-step', () => {
  it('continues on a new worker after kill -9, twice, to the same culprit with the same journal', async () => {
    const expected = await expectedJournal(service.project, join(service.work, 'reference'));
    let worker: WorkerProcess = await service.startWorker();
    const id = await service.submit(service.spec({ build: slowBuild(), labels: { run: 'crash' } }));

    const before: string[][] = [];
    for (const verdicts of [3, 5]) {
      await waitForBuildAfter(id, verdicts);
      worker.kill('SIGKILL');
      await worker.exited;
      const atKill = await service.bisect(id);
      expect(atKill.status).toBe('running');
      before.push(commitsOf(atKill));
      const restarted = Date.now();
      worker = await service.startWorker();
      // The new worker takes the bisect over within seconds (lock 1.5 s, stalled check 0.75 s).
      await waitForStepAfter(id, atKill.journal.length + 1, 20_000);
      expect(Date.now() - restarted).toBeLessThan(20_000);
    }

    const view = await service.waitForEnd(id);
    expect(view.status).toBe('found');
    expect(view.result?.culprit).toBe(service.project.culprit);
    // Nothing lost: what was recorded before each kill is still there, in the same place.
    for (const prefix of before) expect(commitsOf(view).slice(0, prefix.length)).toEqual(prefix);
    // Nothing twice, and the same decisions as the run nobody killed.
    expect(new Set(view.journal.map((e) => e.commit)).size).toBe(view.journal.length);
    expect(commitsOf(view)).toEqual(expected);
    // The worker's JSON log said it resumed from the journal rather than starting over.
    expect(worker.output).toMatch(/continuing from the journal: \d+ verdicts recorded/);
    await worker.stop();
  }, 120_000);
});

/**
 * A metric 10% lower from the culprit on, spread evenly over 10% (from /dev/urandom: `sh` has
 * no $RANDOM): good and bad never overlap, yet they are not far enough apart relative to
 * their spread for the likelihood ratio, so the calibration takes both its looks, at 6 runs
 * and at the cap of 12. (With ±3% a few close runs at the first look sometimes made them far.)
 */
const NOISY_METRIC =
  "grep -q 'RECORD_SIZE 65536' main.c && b=1000 || b=900; sleep 0.2; " +
  'n=$(od -An -N2 -tu2 /dev/urandom); echo $((b + n % 100))';

describe('a bisect whose worker dies mid-calibration', () => {
  it('resumes from the batches in the journal, measuring only what the next look still needs', async () => {
    let worker: WorkerProcess = await service.startWorker();
    const id = await service.submit(
      service.spec({
        oracle: { kind: 'metric', command: NOISY_METRIC },
        decision: { direction: 'higher-is-better', calibrationSamples: 12 },
        labels: { run: 'crash-calibration' },
      }),
    );
    const { bad, good } = service.project;
    // Killed once the bad endpoint's second batch is recorded: the good one's is under way.
    const deadline = Date.now() + 120_000;
    let atKill = await service.bisect(id);
    while (atKill.journal.length < 3) {
      if (Date.now() > deadline) throw new Error(`no third entry: ${commitsOf(atKill)}`);
      await new Promise((r) => setTimeout(r, 25));
      atKill = await service.bisect(id);
    }
    worker.kill('SIGKILL');
    await worker.exited;
    atKill = await service.bisect(id);
    const batches = (view: BisectViewBody) =>
      view.journal
        .filter((e) => e.commit === bad || e.commit === good)
        .map((e) => [e.commit, e.verdict, (e.evidence?.samples as unknown[] | undefined)?.length]);
    expect(batches(atKill).slice(0, 3), JSON.stringify(atKill.journal)).toEqual([
      [bad, 'bad', 6],
      [good, 'good', 6],
      [bad, 'bad', 6],
    ]);

    worker = await service.startWorker();
    const view = await service.waitForEnd(id, 180_000);
    expect(view.status, JSON.stringify(view.result)).toBe('found');
    expect(view.result?.culprit).toBe(service.project.culprit);
    // What was recorded before the kill is still there, and the bad endpoint was not measured
    // again: each endpoint has the cap's 12 runs in two batches, and in about 15% of bisects
    // one more of 12 (simulated: the look past the cap, where the runs make the baselines look
    // too near for the rank test to classify commits against 12 of them; baselinesPowerful).
    expect(view.journal.slice(0, 3)).toEqual(atKill.journal.slice(0, 3));
    const endpoints = batches(view);
    expect(endpoints.slice(0, 4)).toEqual([
      [bad, 'bad', 6],
      [good, 'good', 6],
      [bad, 'bad', 6],
      [good, 'good', 6],
    ]);
    expect(endpoints.slice(4)).toEqual(
      endpoints.length > 4
        ? [
            [bad, 'bad', 12],
            [good, 'good', 12],
          ]
        : [],
    );
    // Every later verdict compares with all the calibration runs.
    const runsOf = (commit: string) =>
      endpoints.filter(([c]) => c === commit).reduce((sum, [, , n]) => sum + Number(n), 0);
    const decided = view.journal.find((e) => e.evidence?.decision);
    expect(decided?.evidence?.decision).toMatchObject({
      baselineSamples: { good: runsOf(good), bad: runsOf(bad) },
    });
    expect(worker.output).toMatch(/continuing from the journal: \d+ verdicts recorded/);
    await worker.stop();
  }, 240_000);
});
