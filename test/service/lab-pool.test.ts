import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestSshd, TEST_SSHD_NEEDS, type TestSshd } from '@kbisect/lab/testing';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import {
  type FakeKernelRepo,
  fakeKernelRepo,
} from '../../packages/build/src/testing/fake-kernel-repo.js';
import { describeNeeding } from '../support/requirements.js';
import { testRedis } from '../support/test-redis.js';
import { expectedJournalOf, type KnownHistory } from './support/expected-journal.js';
import { type BisectViewBody, ServiceHarness } from './support/service-harness.js';
import type { WorkerProcess } from './support/worker-process.js';

/**
 * A bisect on a pool of three labs through the real service: real worker processes, Redis,
 * kernel builds of a kernel-shaped C tree (packages/build's fake kernel: a gcc-linked
 * "vmlinux" that prints a throughput), and labs that are real sshds on loopback which "boot"
 * each kernel with a stand-in kexec (startTestSshd's simulateKexec: the real kexec is never
 * reachable). The oracle runs on the lab the kernel it booted, so its verdict depends on the
 * commit built, uploaded and booted there; every run notes its lab, commit and times in the
 * lab's own directory, the evidence the test reads besides the service's view.
 */
const LABS = 3;
const POOL = 'sim';

/** The booted kernel's number, good at 1000, bad at 500 after the culprit. */
const RUN_KERNEL = 'v=$("$KBISECT_TEST_LAB/running-kernel")';
/** Notes "commit start-ms end-ms value" in the lab's runs file around `body`. */
const noted = (body: string) =>
  ': > "$KBISECT_TEST_LAB/started.$KBISECT_COMMIT"; ' +
  `s=$(date +%s%3N); ${RUN_KERNEL}; ${body}; ` +
  'echo "$KBISECT_COMMIT $s $(date +%s%3N) $v" >> "$KBISECT_TEST_LAB/runs"';
/**
 * A round's tests meet: each waits until LABS tests are in flight (a file each in the shared
 * `inFlight` directory), and ends a second later. So a full round's tests overlap however far
 * apart its builds end: a fixed 3 s run did not always overlap on a loaded host, where the
 * round's builds ended more than 4 s apart. A round of fewer commits (near the end) stops
 * waiting once no test has started for 12 s (30 s at most). Tested one commit at a time, a
 * round would wait each of those out alone and fail the overlap check.
 */
const exitCodeOracle = (inFlight: string) =>
  `${noted(
    `mkdir -p ${inFlight}; : > ${inFlight}/$KBISECT_COMMIT; ` +
      `for i in $(seq 300); do [ "$(ls ${inFlight} | wc -l)" -ge ${LABS} ] && break; ` +
      `newest=$(stat -c %Y ${inFlight}/* 2>/dev/null | sort -n | tail -1); ` +
      `[ $(( $(date +%s) - \${newest:-0} )) -ge 12 ] && break; sleep 0.1; done; ` +
      `sleep 1; rm -f ${inFlight}/$KBISECT_COMMIT`,
  )}; [ "$v" -ge 800 ]`;

let history: KnownHistory & { repo: FakeKernelRepo; culprit: string };
let labs: TestSshd[];
let labFiles: string;
let service: ServiceHarness;

function kernelHistory() {
  const repo = fakeKernelRepo();
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', repo.dir, ...args], { encoding: 'utf8' }).trim();
  repo.commit('a kernel that prints its throughput', {
    'main.c':
      '#include <stdio.h>\nint helper(int);\nint main(void) { printf("%d\\n", helper(1000)); return 0; }\n',
    'helper.c': 'int helper(int x) { return x; }\n',
  });
  git('tag', 'v1.0');
  let culprit = '';
  const unbuildable: string[] = [];
  for (let i = 1; i <= 24; i++) {
    const files: Record<string, string> = { [`f${i}.c`]: `int f${i}(void) { return ${i}; }\n` };
    if (i === 8) files['helper.c'] = 'int helper(int x) { return x }\n';
    if (i === 9) files['helper.c'] = 'int helper(int x) { return x; }\n';
    if (i === 16) files['helper.c'] = 'int helper(int x) { return x / 2; }\n';
    const sha = repo.commit(`change ${i}`, files);
    if (i === 8) unbuildable.push(sha);
    if (i === 16) culprit = sha;
  }
  const isGood = (commit: string) => !git('show', `${commit}:helper.c`).includes('/ 2');
  return { repo, dir: repo.dir, good: 'v1.0', bad: 'main', unbuildable, isGood, culprit };
}

describeNeeding(...TEST_SSHD_NEEDS, await testRedis())(`a bisect on a pool of ${LABS} labs`, () => {
  beforeAll(async () => {
    history = kernelHistory();
    labs = await Promise.all(
      Array.from({ length: LABS }, (_, i) =>
        startTestSshd(`lab-${i}`, { simulateKexec: { bootSeconds: 1 } }),
      ),
    );
    labFiles = mkdtempSync(join(tmpdir(), 'kbisect-pool-labs-'));
    const files = labs.map((lab) => {
      const file = join(labFiles, `${lab.lab.name}.json`);
      writeFileSync(
        file,
        JSON.stringify({
          ...lab.lab,
          pool: POOL,
          workDir: join(lab.dir, 'work'),
          modulesRoot: join(lab.dir, 'root'),
        }),
      );
      return file;
    });
    // Short locks: the last test kills a worker mid-round.
    service = await ServiceHarness.startForWorkerKills('lab-pool', {
      concurrency: { build: LABS, labTest: LABS * 2 },
      sections: { labs: files },
    });
  }, 60_000);
  // A test's worker must not take the next test's jobs; each test reads only its own runs.
  afterEach(async () => {
    await Promise.all(service.workers.map((w) => w.stop()));
    rmSync(join(labFiles, 'in-flight'), { recursive: true, force: true });
    for (const lab of labs) {
      for (const file of readdirSync(lab.dir)) {
        if (file === 'runs' || file.startsWith('started.')) rmSync(join(lab.dir, file));
      }
    }
  });
  afterAll(async () => {
    await service?.close();
    await Promise.all((labs ?? []).map((lab) => lab.stop()));
    rmSync(labFiles, { recursive: true, force: true });
    rmSync(history.dir, { recursive: true, force: true });
  });

  const spec = (overrides: Record<string, unknown> = {}) =>
    service.spec({
      repo: history.dir,
      good: 'v1.0',
      bad: 'main',
      build: { kernel: { config: { defconfig: 'tinyconfig' } } },
      lab: { pool: POOL },
      oracle: { kind: 'command', command: exitCodeOracle(join(labFiles, 'in-flight')) },
      confirm: false,
      ...overrides,
    });

  const decisions = (view: BisectViewBody) =>
    view.journal.map((e) => `${e.commit} ${e.verdict} round ${e.round ?? '-'}`);

  /** Every oracle run the labs noted: which lab ran which commit, when. */
  const runs = () =>
    labs.flatMap((lab) => {
      const file = join(lab.dir, 'runs');
      if (!existsSync(file)) return [];
      return readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((line) => {
          const [commit, start, end, value] = line.split(' ');
          return {
            lab: lab.lab.name,
            commit: commit as string,
            start: Number(start),
            end: Number(end),
            value: Number(value),
          };
        });
    });

  /** The labs the service says ran each of a journal entry's samples. */
  const labsOf = (entry: BisectViewBody['journal'][number]) =>
    ((entry.evidence?.samples ?? []) as { detail?: { lab?: string } }[]).map((s) => s.detail?.lab);

  /**
   * Every tested commit's samples ran on one lab, by the service's view and by the labs'
   * own notes, and measured that commit's kernel; every full round ran on LABS different
   * labs, all its commits under test at one moment. Returns the tested entries.
   */
  function expectOneLabPerCommitAndRound(view: BisectViewBody) {
    const ran = runs();
    const tested = view.journal.filter((e) => e.verdict !== 'skip');
    const labOf = new Map<string, string>();
    for (const entry of tested) {
      const named = labsOf(entry);
      expect(named.length, entry.commit).toBeGreaterThan(0);
      expect(new Set(named).size, `${entry.commit} ran on ${named.join(', ')}`).toBe(1);
      labOf.set(entry.commit, named[0] as string);
    }
    for (const commit of new Set(tested.map((e) => e.commit))) {
      const mine = ran.filter((r) => r.commit === commit);
      expect([...new Set(mine.map((r) => r.lab))], commit).toEqual([labOf.get(commit)]);
      // The lab measured the kernel of that commit: the number says which side it is on.
      const want = history.isGood(commit) ? 1000 : 500;
      expect(
        mine.every((r) => r.value === want),
        commit,
      ).toBe(true);
    }
    const rounds = new Map<number, string[]>();
    for (const e of tested) {
      if (e.round === undefined) continue;
      const commits = rounds.get(e.round) ?? [];
      if (!commits.includes(e.commit)) rounds.set(e.round, [...commits, e.commit]);
    }
    const full = [...rounds.values()].filter((commits) => commits.length === LABS);
    expect(full.length).toBeGreaterThanOrEqual(2);
    for (const commits of full) {
      expect(new Set(commits.map((c) => labOf.get(c))).size, commits.join(' ')).toBe(LABS);
      const spans = commits.map((c) => ran.filter((r) => r.commit === c));
      const lastStart = Math.max(...spans.map((s) => Math.min(...s.map((r) => r.start))));
      const firstEnd = Math.min(...spans.map((s) => Math.max(...s.map((r) => r.end))));
      expect(lastStart, commits.join(' ')).toBeLessThan(firstEnd);
    }
    return tested;
  }

  it('tests each round on as many labs at once, every commit on one lab, in a fixed journal', async () => {
    const expected = await expectedJournalOf(history, join(service.work, 'ref'), LABS);
    await service.startWorker();
    const id = await service.submit(spec());
    const view = await service.waitForEnd(id, 240_000);
    expect(view.status, JSON.stringify(view.result)).toBe('found');
    expect(view.result?.culprit).toBe(history.culprit);
    expect(decisions(view)).toEqual(expected);

    const tested = expectOneLabPerCommitAndRound(view);
    // The report names the lab of each tested commit.
    const report = await (await service.request('GET', `/v1/bisects/${id}/report.txt`)).text();
    for (const entry of tested) {
      const row = new RegExp(`^ *\\d+ +${entry.commit.slice(0, 12)} .* ${labsOf(entry)[0]} `, 'm');
      expect(report).toMatch(row);
    }
    // No command ever reached for the real kexec.
    for (const lab of labs) expect(existsSync(lab.kexecAttempts)).toBe(false);
  }, 300_000);

  it('calibrates good and bad on two labs at once, and keeps each commit on its lab', async () => {
    // A throughput with a little noise: 1000 before the culprit, 500 after.
    const metric = `${noted('sleep 0.5')}; echo $((v + $(od -An -N2 -tu2 /dev/urandom) % 50))`;
    await service.startWorker();
    const id = await service.submit(
      spec({
        oracle: { kind: 'metric', command: metric },
        decision: { direction: 'higher-is-better' },
      }),
    );
    const view = await service.waitForEnd(id, 300_000);
    expect(view.status, JSON.stringify(view.result)).toBe('found');
    expect(view.result?.culprit).toBe(history.culprit);
    const { bad } = view.range;
    const [good] = view.range.goods as [string];
    // Bad first, as on one lab, each endpoint on its own lab, both measured at once.
    const looks = view.journal.filter((e) => e.commit === bad || e.commit === good);
    expect(looks.slice(0, 2).map((e) => [e.commit, e.round])).toEqual([
      [bad, 0],
      [good, 0],
    ]);
    const ran = runs();
    const [onBad, onGood] = [bad, good].map((c) => ran.filter((r) => r.commit === c));
    expect(onBad?.[0]?.lab).not.toBe(onGood?.[0]?.lab);
    const start = (rs: typeof ran) => Math.min(...rs.map((r) => r.start));
    const end = (rs: typeof ran) => Math.max(...rs.map((r) => r.end));
    expect(Math.max(start(onBad ?? []), start(onGood ?? []))).toBeLessThan(
      Math.min(end(onBad ?? []), end(onGood ?? [])),
    );
    expectOneLabPerCommitAndRound(view);
  }, 360_000);

  it('continues on a new worker after kill -9 mid-round with the journal of an uninterrupted run', async () => {
    const expected = await expectedJournalOf(history, join(service.work, 'ref2'), LABS);
    let worker: WorkerProcess = await service.startWorker();
    const id = await service.submit(spec());
    // Kill inside a round of LABS commits: its tests have started on the labs, none recorded.
    const started = (commit: string) =>
      labs.some((lab) => existsSync(join(lab.dir, `started.${commit}`)));
    const deadline = Date.now() + 120_000;
    for (;;) {
      const view = await service.bisect(id);
      const round = view.progress?.commits ?? [];
      const recorded = new Set(view.journal.map((e) => e.commit));
      // After the first round: the new worker continues from a journal that has verdicts.
      const underway = round.length === LABS && view.journal.length >= LABS;
      if (underway && round.some(started) && round.every((c) => !recorded.has(c))) {
        break;
      }
      if (Date.now() > deadline) {
        throw new Error(`no round under test: ${JSON.stringify(view.progress)}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    worker.kill('SIGKILL');
    await worker.exited;
    const before = decisions(await service.bisect(id));
    worker = await service.startWorker();
    const view = await service.waitForEnd(id, 240_000);
    expect(view.status, JSON.stringify(view.result)).toBe('found');
    expect(view.result?.culprit).toBe(history.culprit);
    // Nothing lost, nothing twice: the journal is the one of the run nobody killed.
    expect(decisions(view).slice(0, before.length)).toEqual(before);
    expect(decisions(view)).toEqual(expected);
    expect(worker.output).toMatch(/continuing from the journal: \d+ verdicts recorded/);
    for (const entry of view.journal.filter((e) => e.verdict !== 'skip')) {
      expect(new Set(labsOf(entry)).size, entry.commit).toBe(1);
    }
    for (const lab of labs) expect(existsSync(lab.kexecAttempts)).toBe(false);
  }, 360_000);
});
