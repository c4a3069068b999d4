import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRunning } from '../support/process-alive.js';
import { type BisectViewBody, RECORD_ORACLE, ServiceHarness } from './support/service-harness.js';

/**
 * A build queued ahead for the branch the verdict does not take is stopped while it runs: its
 * build process is killed, its job ends without a retry, its build slot is given back at once,
 * and the bisect's verdicts are those of a bisect that builds nothing ahead. The commits no
 * step tests build slowly (60 s), so each such build ahead still runs when its verdict lands.
 */
let service: ServiceHarness;

const SLOW_BUILD_S = 60;

beforeAll(async () => {
  // No sandbox: the builds leave their pids in `markers` (bwrap mounts the host read-only).
  service = await ServiceHarness.start('ahead-stopped', {
    sections: { sandbox: { mode: 'none' } },
  });
  await service.startWorker();
});
afterAll(async () => {
  await service?.close();
});

/** The jobs named in this service's build slot holds now. */
function heldByJob(): Set<string> {
  const root = join(service.config.cacheDir, 'mirrors', 'worktrees', 'slots');
  const jobs = new Set<string>();
  for (const mirror of existsSync(root) ? readdirSync(root) : []) {
    for (const name of readdirSync(join(root, mirror)).filter((n) => n.endsWith('.held'))) {
      try {
        const hold = JSON.parse(readFileSync(join(root, mirror, name), 'utf8')) as { job?: string };
        if (hold.job) jobs.add(hold.job);
      } catch {
        // A process hold, or one given back while read.
      }
    }
  }
  return jobs;
}

describe('a build ahead of the branch not taken', () => {
  const m = () => service.markers;
  let plain: BisectViewBody;
  let ahead: BisectViewBody;
  /** Slow commits whose build started: its pid, when it started, was seen gone, its slot free. */
  const slow = new Map<
    string,
    { pid: number; startedAt: number; goneAt?: number; slotFreeAt?: number }
  >();
  let endedAt = 0;

  beforeAll(async () => {
    const build = {
      command:
        `if [ -e ${m()}/slow-$KBISECT_COMMIT ]; then echo $$ >> ${m()}/started-$KBISECT_COMMIT; ` +
        `sleep ${SLOW_BUILD_S}; touch ${m()}/finished-$KBISECT_COMMIT; fi; make -s`,
    };
    // A test that takes longer than a fast build, so builds ahead have started when it ends.
    const spec = service.spec({
      build,
      oracle: { kind: 'command', command: `sleep 1.5; ${RECORD_ORACLE}` },
    });
    plain = await service.waitForEnd(await service.submit({ ...spec, speculate: false }));
    // Every commit the bisect does not test builds slowly: the builds ahead of its untaken
    // branches.
    const tested = new Set(plain.journal.map((e) => e.commit));
    const range = execFileSync('git', ['rev-list', 'main', '^v1.0'], {
      cwd: service.project.dir,
      encoding: 'utf8',
    });
    for (const commit of range.split('\n').filter((c) => c && !tested.has(c))) {
      writeFileSync(join(m(), `slow-${commit}`), '');
    }
    const id = await service.submit(spec);
    const look = () => {
      for (const name of readdirSync(m()).filter((n) => n.startsWith('started-'))) {
        const commit = name.slice('started-'.length);
        const pid = Number(readFileSync(join(m(), name), 'utf8').split('\n')[0]);
        const startedAt = statSync(join(m(), name)).mtimeMs;
        const seen = slow.get(commit) ?? { pid, startedAt };
        slow.set(commit, seen);
        if (seen.goneAt === undefined && !isRunning(pid)) seen.goneAt = Date.now();
        if (seen.slotFreeAt === undefined && seen.goneAt !== undefined) {
          // No step builds a slow commit: a hold naming it is the build ahead's.
          const job = `.${commit.slice(0, 16)}.build`;
          if (![...heldByJob()].some((held) => held.includes(job))) seen.slotFreeAt = Date.now();
        }
      }
    };
    const deadline = Date.now() + 120_000;
    for (;;) {
      look();
      ahead = await service.bisect(id);
      if (!['queued', 'running'].includes(ahead.status)) break;
      if (Date.now() > deadline) {
        throw new Error(`bisect ${id} still running:\n${service.workerLogs()}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    endedAt = Date.now();
    look();
  }, 240_000);

  it('records the same verdicts and culprit as a bisect that builds nothing ahead', () => {
    expect(ahead.status, service.workerLogs()).toBe('found');
    expect(ahead.result?.culprit).toBe(service.project.culprit);
    expect(ahead.journal.map((e) => `${e.commit} ${e.verdict}`)).toEqual(
      plain.journal.map((e) => `${e.commit} ${e.verdict}`),
    );
  });

  it('killed each slow build ahead long before it would have finished, its slot given back', () => {
    expect(slow.size, service.workerLogs()).toBeGreaterThanOrEqual(1);
    for (const [commit, { pid, startedAt, goneAt, slotFreeAt }] of slow) {
      expect(isRunning(pid), `build of ${commit} (pid ${pid}) still runs`).toBe(false);
      expect(existsSync(join(m(), `finished-${commit}`))).toBe(false);
      // Started once: the stopped job was not run again.
      expect(
        readFileSync(join(m(), `started-${commit}`), 'utf8')
          .trim()
          .split('\n'),
      ).toHaveLength(1);
      expect(goneAt, `build of ${commit} was not stopped while the bisect ran`).toBeDefined();
      expect((goneAt as number) - startedAt).toBeLessThan((SLOW_BUILD_S * 1000) / 2);
      expect(slotFreeAt).toBeDefined();
    }
    // At least one was stopped, and its slot given back, while the bisect still ran (the end
    // of a bisect gives back whatever its jobs still hold).
    const early = [...slow.values()].filter(({ slotFreeAt }) => (slotFreeAt as number) < endedAt);
    expect(early.length).toBeGreaterThanOrEqual(1);
  });

  it('ended the stopped jobs for good, not as build failures of the bisect', async () => {
    const failed = await service.queues().build.getJobs(['failed']);
    const stopped = failed.filter((job) => slow.has(job.data.commit));
    expect(stopped.length).toBe(slow.size);
    for (const job of stopped) {
      expect(job.failedReason).toMatch(/dropped by its owner/);
      expect(job.attemptsMade).toBe(1);
    }
    // No step recorded a build failure for them: none of them is in the journal.
    expect(ahead.journal.some((e) => slow.has(e.commit))).toBe(false);
  });
});
