import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildJobId, ownerKey } from '@kbisect/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AHEAD_PRIORITY } from '../../apps/worker/src/coordinator/builds-ahead.js';
import { type BisectViewBody, RECORD_ORACLE, ServiceHarness } from './support/service-harness.js';
import { readSse } from './support/sse.js';

/**
 * Speculative builds through the real service: while a commit is tested, the coordinator
 * queues the builds of both commits the next step may pick; the step attaches to one, the
 * other is dropped (removed while waiting, or its worktree given back once built). The
 * verdicts are those of a bisect that builds nothing ahead.
 */
let service: ServiceHarness;

beforeAll(async () => {
  service = await ServiceHarness.start('speculate');
  await service.startWorker();
});
afterAll(async () => {
  await service?.close();
});

/** The log lines of a bisect's event stream, read to its end. */
async function logLines(id: string): Promise<string[]> {
  const events = await readSse(`${service.api.url}/v1/bisects/${id}/events`, { timeoutMs: 90_000 });
  return events.filter((e) => e.event === 'log').map((e) => (e.data as { msg: string }).msg);
}

describe('a bisect that builds ahead', () => {
  let ahead: BisectViewBody;
  let plain: BisectViewBody;
  let lines: string[];

  beforeAll(async () => {
    // A test that takes longer than a build, so builds ahead have time to start and finish.
    const spec = service.spec({
      oracle: { kind: 'command', command: `sleep 0.5; ${RECORD_ORACLE}` },
    });
    const [withAhead, without] = [
      await service.submit(spec),
      await service.submit({ ...spec, speculate: false }),
    ];
    lines = await logLines(withAhead);
    ahead = await service.waitForEnd(withAhead);
    plain = await service.waitForEnd(without);
  });

  it('records the same verdicts as a bisect that builds nothing ahead', () => {
    expect(ahead.status).toBe('found');
    expect(ahead.result?.culprit).toBe(service.project.culprit);
    expect(ahead.journal.map((e) => `${e.commit} ${e.verdict}`)).toEqual(
      plain.journal.map((e) => `${e.commit} ${e.verdict}`),
    );
  });

  it('attached steps to builds queued ahead, and dropped the branch not taken', async () => {
    const started = lines.filter((m) => m.startsWith('build ahead: '));
    const attached = lines.filter((m) => /was started ahead: the step attaches to it/.test(m));
    const dropped = lines.filter((m) =>
      /^build ahead of [0-9a-f]{12} (dropped|not needed)/.test(m),
    );
    expect(started.length).toBeGreaterThanOrEqual(2);
    expect(attached.length).toBeGreaterThanOrEqual(1);
    expect(dropped.length).toBeGreaterThanOrEqual(1);
    // A dropped build is never a commit the bisect went on to test after it.
    const tested = new Set(ahead.journal.map((e) => e.commit.slice(0, 12)));
    const droppedCommits = dropped.map((m) => m.split(' ')[3] as string);
    expect(droppedCommits.some((c) => !tested.has(c))).toBe(true);
    // The jobs ahead carried the low priority; the plain bisect queued none.
    const jobs = await service
      .queues()
      .build.getJobs(['completed', 'failed', 'waiting', 'prioritized']);
    const ownedBy = (id: string) => jobs.filter((job) => ownerKey(job.data.owner) === id);
    const aheadJobs = ownedBy(ahead.id);
    expect(aheadJobs.some((job) => job.opts.priority === AHEAD_PRIORITY)).toBe(true);
    const plainJobs = ownedBy(plain.id);
    expect(plainJobs.every((job) => !job.opts.priority)).toBe(true);
  });

  it("queued the next step's build while this step's own build still ran", async () => {
    // The first step checks the bad endpoint; whatever its verdict, the next checks the good
    // one, whose build is queued ahead as soon as the first step asked for its own.
    const build = (length: number) => {
      const commit = ahead.journal[length]?.commit as string;
      return service.queues().build.getJob(buildJobId(ahead.id, length, commit, 'build', 0));
    };
    const own = await build(0);
    const next = await build(1);
    expect(own?.finishedOn).toBeDefined();
    expect(next?.timestamp).toBeLessThan(own?.finishedOn as number);
  });

  it('leaves no worktree behind once the bisect has ended, the dropped builds included', () => {
    const worktrees = join(service.config.cacheDir, 'worktrees');
    const left = existsSync(worktrees) ? readdirSync(worktrees) : [];
    expect(left.filter((name) => name === ahead.id || name === plain.id)).toEqual([]);
  });
});
