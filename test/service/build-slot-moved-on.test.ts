import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  type BuildJob,
  buildJobId,
  hostQueueName,
  labTestJobId,
  ownerKey,
} from '@kbisect/contracts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectedJournal } from './support/expected-journal.js';
import { ServiceHarness } from './support/service-harness.js';
import { readSse } from './support/sse.js';

/**
 * A build slot that moves on after its commit was built and before the commit is tested:
 * its hold is lost, and another build of the bisect (as a build ahead would) takes the slot
 * and checks out another commit there. Whoever sees it, the lab test refusing to measure or a
 * coordinator re-attaching to the finished build after a crash, the commit is built again
 * (one rule, `SlotRebuilds`, said in the bisect's event stream) and the bisect ends as if
 * nothing had happened.
 */
let service: ServiceHarness;

beforeAll(async () => {
  service = await ServiceHarness.startForWorkerKills('slot-moved-on');
});
// A test's worker must not take the next test's jobs, and its lab tests must not stay held.
afterEach(async () => {
  await Promise.all(service.workers.map((w) => w.stop()));
  await testQueue().resume();
});
afterAll(async () => {
  await service?.close();
});

/** The lab-test queue of `lab: local` on this host. */
const testQueue = () => service.queues().labTest.get(hostQueueName(hostname()));

const sha = (ref: string) =>
  execFileSync('git', ['rev-parse', ref], { cwd: service.project.dir, encoding: 'utf8' }).trim();

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`${what}: not within ${timeoutMs} ms\n${service.workerLogs(4000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Submits a bisect whose bad endpoint (tested first) is built, then tested only once the lab
 * tests are held back (the queue paused: the test waits as behind busy test workers). Every
 * build leaves `built-<commit>-<pid>` in the markers, saying where it built. Resolves when the endpoint's test waits
 * in the queue, with the slot it was built in.
 */
async function bisectWithTheFirstTestHeldBack(tag: string) {
  const dir = join(service.markers, tag);
  mkdirSync(dir);
  // A build ahead of the good endpoint may run beside the bad one's, in the other slot.
  const build = {
    command:
      `if [ $KBISECT_COMMIT = ${sha('main')} ] && mkdir ${dir}/first 2>/dev/null; then ` +
      `echo $PWD > ${dir}/first/slot; ` +
      `for i in $(seq 600); do [ -e ${dir}/go ] && break; sleep 0.1; done; fi; ` +
      `echo $PWD > ${dir}/built-$KBISECT_COMMIT-$$; make -s`,
  };
  const id = await service.submit(service.spec({ build }));
  await until('the first build', () => existsSync(`${dir}/first/slot`));
  const slot = readFileSync(`${dir}/first/slot`, 'utf8').trim();
  const commit = sha('main');
  await testQueue().pause();
  writeFileSync(`${dir}/go`, '');
  await until('the test of the first commit queued', async () =>
    (await testQueue().getJobs(['waiting'])).some(
      (job) => job.data.commit === commit && ownerKey(job.data.owner) === id,
    ),
  );
  // The commit's builds in slots (the revert check builds it in a fresh worktree too).
  const builds = () =>
    readdirSync(dir)
      .filter((name) => name.startsWith(`built-${commit}-`))
      .filter((name) => /\/slot-\d$/.test(readFileSync(join(dir, name), 'utf8').trim()));
  return { id, slot, commit, builds };
}

/** A build job of bisect `id` checking out the good endpoint, as a build ahead of it would. */
async function takeSlotFor(id: string): Promise<string> {
  const taker: BuildJob = {
    owner: { bisectId: id },
    repo: service.project.dir,
    commit: sha('v1.0'),
    timeoutMs: 60_000,
    command: 'true',
  };
  const jobId = `${id}.slot-taker`;
  await service.queues().build.add('build', taker, { jobId });
  return jobId;
}

/** The messages of the bisect's log lines in its event stream (the SSE of the API). */
async function logLines(id: string): Promise<string[]> {
  const events = await readSse(`${service.api.url}/v1/bisects/${id}/events`, {
    timeoutMs: 20_000,
  });
  return events.filter((e) => e.event === 'log').map((e) => (e.data as { msg: string }).msg);
}

async function expectUndisturbedEnd(id: string) {
  const expected = await expectedJournal(service.project, join(service.work, 'reference'));
  const view = await service.waitForEnd(id, 120_000);
  expect(view.status, `${JSON.stringify(view.result)}\n${service.workerLogs(4000)}`).toBe('found');
  expect(view.result?.culprit).toBe(service.project.culprit);
  expect(view.journal.map((e) => `${e.commit} ${e.verdict}`)).toEqual(expected);
}

describe('a build slot that moves on between a build and its test', () => {
  it('is refused by the lab test, the commit is built again, and the bisect ends as an undisturbed one', async () => {
    await service.startWorker();
    const { id, slot, commit, builds } = await bisectWithTheFirstTestHeldBack('refused');
    // The hold is lost, and the real build processor checks another commit out in the slot.
    rmSync(`${slot}.held`);
    const taker = await takeSlotFor(id);
    await until(
      'the slot taken',
      async () => (await (await service.queues().build.getJob(taker))?.getState()) === 'completed',
    );
    expect((await service.queues().build.getJob(taker))?.returnvalue).toMatchObject({
      worktree: slot,
    });
    await testQueue().resume();

    await expectUndisturbedEnd(id);
    // Built twice, and tested in the tree of the second build.
    expect(builds()).toHaveLength(2);
    const testJob = labTestJobId(buildJobId(id, 0, commit, 'build', 0), 0);
    const tested = await testQueue().getJob(testJob);
    expect(tested?.returnvalue).toMatchObject({ kind: 'sample', sample: { exitCode: 1 } });
    expect(tested?.data.artifact.worktree).not.toBe(slot);
    // The event stream says what happened: the test refused the slot, then the rebuild.
    const lines = await logLines(id);
    const refused = lines.findIndex((msg) => msg.startsWith(`not testing ${commit.slice(0, 12)}`));
    const rebuilt = lines.filter((msg) => msg.startsWith(`building ${commit.slice(0, 12)} again`));
    expect(refused, lines.join('\n')).toBeGreaterThanOrEqual(0);
    expect(rebuilt).toHaveLength(1);
    expect(rebuilt[0]).toContain(`build slot ${slot} holds ${sha('v1.0').slice(0, 12)}`);
    expect(rebuilt[0]).toMatch(/\(rebuild 1 of at most 3\)$/);
    expect(lines.indexOf(rebuilt[0] as string)).toBeGreaterThan(refused);
  }, 180_000);

  it('is seen by a coordinator re-attaching after kill -9, by the same rule, and built once more', async () => {
    let worker = await service.startWorker();
    const { id, slot, commit, builds } = await bisectWithTheFirstTestHeldBack('re-attach');
    // The worker dies with the commit built and its test queued; meanwhile the slot's hold is
    // lost and a build takes the slot. The next worker's coordinator re-attaches to the build.
    worker.kill('SIGKILL');
    await worker.exited;
    rmSync(`${slot}.held`);
    await takeSlotFor(id);
    worker = await service.startWorker();
    // The rebuild is decided before the queued test ran (it still waits behind the pause).
    const stream = readSse(`${service.api.url}/v1/bisects/${id}/events`, {
      timeoutMs: 30_000,
      until: (e) =>
        e.event === 'log' &&
        (e.data as { msg: string }).msg.startsWith(`building ${commit.slice(0, 12)} again`),
    });
    const seen = await stream;
    expect(seen.at(-1)?.data, service.workerLogs(4000)).toMatchObject({
      msg: expect.stringMatching(/\(rebuild 1 of at most 3\)$/),
    });
    await testQueue().resume();

    await expectUndisturbedEnd(id);
    expect(builds()).toHaveLength(2);
    // One rebuild: the test queued before the crash refused the old slot, and was sent again
    // to the new tree without another build.
    const lines = await logLines(id);
    const rebuilt = lines.filter((msg) => msg.startsWith(`building ${commit.slice(0, 12)} again`));
    expect(rebuilt, lines.join('\n')).toHaveLength(1);
    expect(rebuilt[0]).toContain(`build slot ${slot} `);
  }, 180_000);
});
