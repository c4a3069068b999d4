import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ownerText } from '@kbisect/contracts';
import { openRepository, slotsDirOf } from '@kbisect/git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedJournal } from './support/expected-journal.js';
import { RECORD_ORACLE, ServiceHarness } from './support/service-harness.js';
import type { WorkerProcess } from './support/worker-process.js';

/**
 * Build slots in the service: the builds of a bisect reuse kept checkouts (warm: the same
 * path, so ccache hits), each cleaned of everything an earlier commit left, and held by the
 * build job until the commit's verdict is in, so a worker killed while a commit is tested
 * leaves a tree that a restarted coordinator tests again, or builds again, but never a tree
 * that moved on to another commit.
 */
let service: ServiceHarness;

beforeAll(async () => {
  service = await ServiceHarness.startForWorkerKills('slots');
});
afterAll(() => service?.close());

/**
 * Each build writes what it found in its worktree before building (nothing but the commit's
 * own files, if nothing stale survived) and which commit it built. Each test says it started,
 * takes a moment, then refuses (exit 200: the bisect errors) a tree built for another commit,
 * before the fixture's oracle reads main.c, which differs between the culprit's sides.
 */
const build = () => ({
  command:
    `echo "$PWD $(ls -A | tr '\\n' ' ')" > ${service.markers}/build-$KBISECT_COMMIT-$$; ` +
    'echo $KBISECT_COMMIT > built-commit; make -s',
});
const oracle = () => ({
  kind: 'command' as const,
  command:
    `touch ${service.markers}/test-$KBISECT_COMMIT; sleep 1; ` +
    `test "$(cat built-commit)" = "$KBISECT_COMMIT" || exit 200; ${RECORD_ORACLE}`,
});

/** Builds as the markers tell them: the worktree and the files found in it before building. */
function builds(): { commit: string; dir: string; found: string[] }[] {
  return readdirSync(service.markers)
    .filter((name) => name.startsWith('build-'))
    .map((name) => {
      const [dir = '', ...found] = readFileSync(join(service.markers, name), 'utf8')
        .trim()
        .split(' ');
      return { commit: name.split('-')[1] as string, dir, found };
    });
}

async function waitForTestAfter(id: string, verdicts: number): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const view = await service.bisect(id);
    const current = view.progress?.commit;
    const tested = new Set(view.journal.map((e) => e.commit));
    if (view.journal.length >= verdicts && current && !tested.has(current)) {
      if (existsSync(join(service.markers, `test-${current}`))) return current;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `no test after ${verdicts} verdicts; worker logs:\n${service.workerLogs(6000)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

const ccacheHits = (dir: string) => {
  const stats = execFileSync('ccache', ['--print-stats'], {
    env: { ...process.env, CCACHE_DIR: dir },
    encoding: 'utf8',
  });
  const count = (key: string) => Number(new RegExp(`^${key}\\t(\\d+)`, 'm').exec(stats)?.[1] ?? 0);
  return count('direct_cache_hit') + count('preprocessed_cache_hit');
};

describe('a bisect built in slots', () => {
  it('reuses slots warm and clean, and tests the tree of its commit after kill -9', async () => {
    const { cacheDir } = service.config;
    const expected = await expectedJournal(service.project, join(service.work, 'reference'));
    // Every slot is held by a bisect that ended without giving them back (its worker died
    // and it was then cancelled): the builds of this one must take them over.
    const mirror = await openRepository({
      source: service.project.dir,
      cacheDir: join(cacheDir, 'mirrors'),
    });
    const slotsDir = slotsDirOf(mirror.worktreesDir, mirror.mirrorPath);
    mkdirSync(slotsDir, { recursive: true });
    for (let n = 0; n < 4; n++) {
      const hold = { owner: ownerText({ bisectId: 'ended-long-ago' }), job: `j${n}`, commit: 'x' };
      writeFileSync(join(slotsDir, `slot-${n}.held`), JSON.stringify(hold));
    }

    let worker: WorkerProcess = await service.startWorker();
    const id = await service.submit(service.spec({ build: build(), oracle: oracle() }));
    // Killed while a commit is tested: its build job is done, its slot must stay its own.
    const testing = await waitForTestAfter(id, 3);
    worker.kill('SIGKILL');
    await worker.exited;
    worker = await service.startWorker();

    const view = await service.waitForEnd(id, 150_000);
    expect(view.status, JSON.stringify(view.result)).toBe('found');
    expect(view.result?.culprit).toBe(service.project.culprit);
    // The tree tested after the kill was the commit's own: the same verdicts as a bisect
    // nobody killed, and the oracle never saw another commit's build (it would exit 200).
    expect(view.journal.map((e) => `${e.commit} ${e.verdict}`)).toEqual(expected);
    expect(view.journal.map((e) => e.commit)).toContain(testing);

    const all = builds();
    expect(all.length).toBeGreaterThan(view.journal.length);
    // Every build ran in a slot (the ended bisect's holds were taken), but the revert check's
    // (the bad commit with the culprit reverted: a fresh worktree, as its tree is no commit's).
    const inSlots = all.filter(({ dir }) => new RegExp(`^${slotsDir}/slot-\\d$`).test(dir));
    const fresh = all.filter((b) => !inSlots.includes(b));
    expect(fresh.map((b) => b.commit)).toEqual([service.project.bad]);
    expect(fresh[0]?.dir.startsWith(join(cacheDir, 'worktrees', id))).toBe(true);
    expect(new Set(inSlots.map((b) => b.dir)).size).toBeLessThan(inSlots.length);
    // Clean: no build found what an earlier one made (objects, binary, marker).
    for (const { found } of all) {
      expect(found.filter((f) => /^(built-commit|lbench|.*\.o)$/.test(f))).toEqual([]);
    }
    // Warm: the same paths every time, so ccache answered for the sources a commit kept.
    expect(ccacheHits(join(cacheDir, 'ccache'))).toBeGreaterThan(0);
    // Given back at each step's end and at the bisect's: no hold of it left (a slot it never
    // needed still names the ended bisect, taken over by the next build that needs it).
    const holds = readdirSync(slotsDir)
      .filter((name) => name.endsWith('.held'))
      .map((name) => JSON.parse(readFileSync(join(slotsDir, name), 'utf8')).owner);
    expect(holds.filter((owner) => owner !== ownerText({ bisectId: 'ended-long-ago' }))).toEqual(
      [],
    );
    await worker.stop();
    // A loaded 2-core machine: some 15 builds and tests with a kill and a takeover in between.
  }, 180_000);
});
