import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { hostQueueName, ownerKey } from '@kbisect/contracts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectedJournal } from './support/expected-journal.js';
import { type BisectViewBody, RECORD_ORACLE, ServiceHarness } from './support/service-harness.js';
import type { WorkerProcess } from './support/worker-process.js';

/**
 * Several commits tested at once through the real service (`parallelTests: 3` on `lab:
 * local`): real worker processes, build and lab-test jobs in Redis. Each round's verdicts are
 * recorded in bestCommits' order whatever order its tests finish in, and a worker killed with
 * SIGKILL mid-round is replaced by one that ends with the journal of a run nobody killed.
 */
const SLOTS = 3;
let service: ServiceHarness;

beforeAll(async () => {
  service = await ServiceHarness.startForWorkerKills('rounds', {
    concurrency: { build: 6, labTest: 6 },
  });
});
// A test's worker must not take the next test's jobs, even when the test failed.
afterEach(async () => {
  await Promise.all(service.workers.map((w) => w.stop()));
});
afterAll(async () => {
  await service?.close();
});

/**
 * The fixture's oracle after a pause of 0–3 s set by the commit's first hex digit, or by its
 * opposite: two bisects whose rounds finish in opposite orders. Whole seconds, because on a
 * loaded machine the builds of a round end seconds apart, and pauses under a second left
 * both bisects finishing in build order (seen at load 14).
 */
const delayedOracle = (reverse: boolean) => {
  const digit = 'printf %d 0x$(printf %s "$KBISECT_COMMIT" | cut -c1)';
  const pause = reverse ? `$(( 3 - $(${digit}) % 4 ))` : `$(( $(${digit}) % 4 ))`;
  return `touch ${service.markers}/$KBISECT_COMMIT; sleep ${pause}; ${RECORD_ORACLE}`;
};

const spec = (reverse: boolean) =>
  service.spec({
    oracle: { kind: 'command', command: delayedOracle(reverse) },
    parallelTests: SLOTS,
    confirm: false,
  });

const decisions = (view: BisectViewBody) =>
  view.journal.map((e) => `${e.commit} ${e.verdict} round ${e.round ?? '-'}`);

/** Each round's commits, in the order their lab-test jobs finished. */
async function finishOrders(view: BisectViewBody): Promise<string[][]> {
  const queue = service.queues().labTest.get(hostQueueName(hostname()));
  const jobs = await queue.getJobs(['completed']);
  const finished = new Map(
    jobs
      .filter((job) => ownerKey(job.data.owner) === view.id)
      .map((job) => [job.data.commit, job.finishedOn ?? 0]),
  );
  const rounds = new Map<number, string[]>();
  for (const e of view.journal) {
    if (e.round !== undefined) rounds.set(e.round, [...(rounds.get(e.round) ?? []), e.commit]);
  }
  return [...rounds.values()].map((commits) =>
    [...commits].sort((a, b) => (finished.get(a) ?? 0) - (finished.get(b) ?? 0)),
  );
}

describe(`a bisect that tests ${SLOTS} commits at once`, () => {
  it('records every round in a fixed order, whatever order its tests finish in', async () => {
    const expected = await expectedJournal(service.project, join(service.work, 'ref'), SLOTS);
    await service.startWorker();
    const [early, late] = await Promise.all([
      service.submit(spec(false)),
      service.submit(spec(true)),
    ]);
    const views = [await service.waitForEnd(early), await service.waitForEnd(late)];
    for (const view of views) {
      expect(view.status).toBe('found');
      expect(view.result?.culprit).toBe(service.project.culprit);
      expect(decisions(view)).toEqual(expected);
    }
    // Rounds of three really ran: fewer rounds than verdicts.
    const rounds = new Set(views[0]?.journal.map((e, i) => e.round ?? `single ${i}`));
    expect(views[0]?.journal.filter((e) => e.round !== undefined).length).toBeGreaterThanOrEqual(
      SLOTS * 2,
    );
    expect(rounds.size).toBeLessThan(views[0]?.journal.length ?? 0);
    // The finish orders were not the journal's: in some round a later commit finished first.
    const journalOrder = (views[0] as BisectViewBody).journal
      .filter((e) => e.round !== undefined)
      .map((e) => e.commit);
    const finishedInOrder = [
      ...(await finishOrders(views[0] as BisectViewBody)),
      ...(await finishOrders(views[1] as BisectViewBody)),
    ];
    expect(finishedInOrder.flat()).not.toEqual([...journalOrder, ...journalOrder]);
  });

  it('continues on a new worker after kill -9 mid-round with the journal of an uninterrupted run', async () => {
    const expected = await expectedJournal(service.project, join(service.work, 'ref2'), SLOTS);
    let worker: WorkerProcess = await service.startWorker();
    const id = await service.submit(spec(false));
    // Kill inside the second round: its tests have started, none of it is recorded.
    const deadline = Date.now() + 60_000;
    let atKill: BisectViewBody | undefined;
    while (!atKill) {
      const view = await service.bisect(id);
      const round = view.progress?.commits ?? [];
      const recorded = new Set(view.journal.map((e) => e.commit));
      const started = round.some((c) => existsSync(join(service.markers, c)));
      if (view.journal.length >= SLOTS && round.length > 1 && started) {
        if (round.every((c) => !recorded.has(c))) atKill = view;
      }
      if (!atKill && Date.now() > deadline) {
        throw new Error(`no second round under test: ${JSON.stringify(view.progress)}`);
      }
      if (!atKill) await new Promise((r) => setTimeout(r, 20));
    }
    worker.kill('SIGKILL');
    await worker.exited;
    const before = decisions(await service.bisect(id));
    worker = await service.startWorker();
    const view = await service.waitForEnd(id);
    expect(view.status).toBe('found');
    expect(view.result?.culprit).toBe(service.project.culprit);
    // Nothing lost, nothing twice: the journal is the one of the run nobody killed.
    expect(decisions(view).slice(0, before.length)).toEqual(before);
    expect(new Set(view.journal.map((e) => e.commit)).size).toBe(view.journal.length);
    expect(decisions(view)).toEqual(expected);
    expect(worker.output).toMatch(/continuing from the journal: \d+ verdicts recorded/);
    await worker.stop();
  });

  it("calibrates good and bad side by side, each look's entries recorded together", async () => {
    // A metric: clearly higher before the culprit, a little noise, a slower bad endpoint.
    const metric =
      "grep -q 'RECORD_SIZE 65536' main.c && b=1000 || b=500; " +
      `[ "$KBISECT_COMMIT" = "${service.project.bad}" ] && sleep 0.3; ` +
      'n=$(od -An -N2 -tu2 /dev/urandom); echo $((b + n % 50))';
    const worker = await service.startWorker();
    const id = await service.submit(
      service.spec({
        oracle: { kind: 'metric', command: metric },
        decision: { direction: 'higher-is-better', calibrationSamples: 12 },
        parallelTests: 2,
        confirm: false,
      }),
    );
    const view = await service.waitForEnd(id, 180_000);
    expect(view.status, JSON.stringify(view.result)).toBe('found');
    expect(view.result?.culprit).toBe(service.project.culprit);
    const { bad, good } = service.project;
    const looks = view.journal.filter((e) => e.commit === bad || e.commit === good);
    // Bad first, as on one slot, though the good endpoint's runs finished first.
    expect(looks.slice(0, 2).map((e) => [e.commit, e.round])).toEqual([
      [bad, 0],
      [good, 0],
    ]);
    await worker.stop();
  }, 240_000);

  it('refuses several tests at once on a named lab, saying what to use instead', async () => {
    const response = await service.request('POST', '/v1/bisects', {
      body: service.spec({ lab: { name: 'nowhere' }, parallelTests: 2 }),
      token: service.tokens.writer,
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/parallelTests.*pool/);
  });
});
