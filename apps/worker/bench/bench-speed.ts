/**
 * `npm run bench:speed`: what speculative builds and several test slots save, through the
 * real service (API and worker in this process, Redis, the real coordinator, build and
 * lab-test queues). A generated history of BENCH_COMMITS commits (default 200) with a planted
 * culprit; a build costs a fixed sleep (BENCH_BUILD_S, default 4 s) and a test one
 * (BENCH_TEST_S, default 2 s: an exit-code oracle, so no calibration). The same bisect runs for
 * k = 1, 2, 3 commits at once (BENCH_LABS, e.g. "1,3"; k local test slots, `parallelTests`,
 * which a pool of k labs gives the same way) with speculation off and on, one after the other,
 * and one table row each is printed. Builds ahead happen only in rounds of one commit. Then the
 * same with a noisy metric whose sample is a BENCH_SAMPLE_S sleep (default 1 s; BENCH_METRIC=0
 * leaves these rows out), two rows per k: calibrated, then a few samples per commit; with
 * `speculate` unset nothing is built ahead, since it measures on the build host, and with
 * `speculate: true` builds ahead anyway (a sleep that load does not change).
 * Uses REDIS_URL if set (keys under a unique prefix, deleted at the end), else a private
 * redis-server on a free port.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApi } from '@kbisect/api';
import { loadConfig, type ServiceConfig } from '@kbisect/config';
import { buildJobId, hostQueueName, labTestJobId, QUEUE } from '@kbisect/contracts';
import { roundsFor } from '@kbisect/core';
import { startWorker } from '@kbisect/worker';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import {
  type PrivateRedis,
  startPrivateRedis,
} from '../../../test/service/support/private-redis.js';
import { deleteKeys } from '../../../test/support/test-redis.js';

const COMMITS = Number(process.env.BENCH_COMMITS ?? 200);
const BUILD_S = Number(process.env.BENCH_BUILD_S ?? 4);
const TEST_S = Number(process.env.BENCH_TEST_S ?? 2);
const SAMPLE_S = Number(process.env.BENCH_SAMPLE_S ?? 1);
const say = (text: string) => process.stderr.write(`bench: ${text}\n`);

const work = mkdtempSync(join(tmpdir(), 'kbisect-bench-speed-'));
const repo = join(work, 'repo');
const culpritIndex = Math.floor(COMMITS * 0.37);
const culprit = makeHistory(repo, COMMITS, culpritIndex);

const token = randomBytes(16).toString('hex');
const prefix = `kbisect-bench-speed-${process.pid}-${randomBytes(3).toString('hex')}`;
let redis: PrivateRedis | undefined;
if (!process.env.REDIS_URL) redis = await startPrivateRedis();
const redisUrl = process.env.REDIS_URL ?? (redis as PrivateRedis).url;
const config: ServiceConfig = await loadConfig({
  env: {},
  overrides: {
    'redis.url': redisUrl,
    'redis.prefix': prefix,
    'api.port': 0,
    'auth.tokens': [{ name: 'bench', token }],
    cacheDir: join(work, 'cache'),
    'log.level': 'error',
    // A round of k commits builds and tests k at once (docs/service.md: build concurrency ≥ k).
    'worker.concurrency': { coordinator: 2, build: 4, labTest: 3, watch: 1 },
  },
});
const api = await startApi(config);
const worker = await startWorker(config);
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

const LABS = (process.env.BENCH_LABS ?? '1,2,3').split(',').map(Number);

type OracleKind = 'command' | 'metric';

/**
 * `command`: the exit code after a TEST_S sleep. `metric`: a SAMPLE_S sleep, then 1000 on a
 * good commit and 500 on a bad one, each plus 0-49 at random (CV 1.4% and 2.9%): calibrated
 * at its first look, a few runs per commit after it.
 */
const ORACLES: Record<OracleKind, { kind: OracleKind; command: string }> = {
  command: { kind: 'command', command: `sleep ${TEST_S}; grep -q good state` },
  metric: {
    kind: 'metric',
    command:
      `sleep ${SAMPLE_S}; n=$(od -An -N2 -tu2 /dev/urandom); ` +
      'if grep -q good state; then echo $((1000 + n % 50)); else echo $((500 + n % 50)); fi',
  },
};

interface Row {
  oracle: OracleKind;
  labs: number;
  /** Unset: the service's rule decides (a metric on lab local: nothing ahead). */
  speculate: boolean | undefined;
  culprit: string | null;
  /** Candidates of the range. */
  commits: number;
  rounds: number;
  oracleRuns: number;
  /** Journal entries: tested commits, and an endpoint's calibration batches. */
  entries: number;
  wallSeconds: number;
}

function speculationLabel(speculate: boolean | undefined): string {
  if (speculate === undefined) return 'unset (none: lab local)';
  return speculate ? 'on' : 'off';
}

async function bisect(
  oracle: OracleKind,
  labs: number,
  speculate: boolean | undefined,
): Promise<Row> {
  const body = {
    repo,
    good: 'v0',
    bad: 'main',
    build: { command: `sleep ${BUILD_S}` },
    oracle: ORACLES[oracle],
    confirm: false,
    ...(speculate !== undefined ? { speculate } : {}),
    ...(labs > 1 ? { parallelTests: labs } : {}),
  };
  const started = performance.now();
  const response = await fetch(`${api.url}/v1/bisects`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  });
  if (response.status !== 201) throw new Error(`POST: ${response.status} ${await response.text()}`);
  const { id } = (await response.json()) as { id: string };
  for (;;) {
    const view = (await (await fetch(`${api.url}/v1/bisects/${id}`, { headers })).json()) as {
      status: string;
      range: { commits: number };
      journal: { round?: number }[];
      result?: { culprit: string | null; oracleRuns: number };
    };
    if (!['queued', 'running'].includes(view.status)) {
      if (process.env.BENCH_TIMELINE) await printTimeline(id, view.journal as Entry[], started);
      return {
        oracle,
        labs,
        speculate,
        culprit: view.result?.culprit ?? null,
        commits: view.range.commits,
        // The endpoints are checked by the loop as steps too; a round's entries share `round`.
        rounds: new Set(view.journal.map((e, i) => e.round ?? `step ${i}`)).size,
        oracleRuns: view.result?.oracleRuns ?? 0,
        entries: view.journal.length,
        wallSeconds: (performance.now() - started) / 1000,
      };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface Entry {
  commit: string;
  at: string;
  round?: number;
}

/**
 * BENCH_TIMELINE=1: where a bisect of one slot spent its time, step by step, from the jobs'
 * own timestamps (queued, started, finished) and the journal's: in seconds since the POST.
 */
async function printTimeline(id: string, journal: Entry[], startedMs: number): Promise<void> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const builds = new Queue(QUEUE.build, { connection, prefix });
  const tests = new Queue(hostQueueName(hostname()), { connection, prefix });
  const origin = performance.timeOrigin + startedMs;
  const at = (ms: number | undefined) =>
    ms === undefined ? '-' : ((ms - origin) / 1000).toFixed(2);
  say(`timeline of ${id}: build queued/started/finished | test queued/started/finished | verdict`);
  let previous = origin;
  for (const [index, entry] of journal.entries()) {
    const buildId = buildJobId(id, index, entry.commit, 'build', 0);
    const build = await builds.getJob(buildId);
    const test = await tests.getJob(labTestJobId(buildId, 0));
    const verdict = Date.parse(entry.at);
    say(
      `step ${index} ${entry.commit.slice(0, 8)} | build ${at(build?.timestamp)} ${at(build?.processedOn)} ${at(build?.finishedOn)}` +
        ` | test ${at(test?.timestamp)} ${at(test?.processedOn)} ${at(test?.finishedOn)} | verdict ${at(verdict)}` +
        ` | step ${((verdict - previous) / 1000).toFixed(2)} s`,
    );
    previous = verdict;
  }
  await builds.close();
  await tests.close();
  await connection.quit();
}

try {
  say(`${COMMITS} commits, culprit #${culpritIndex}, build ${BUILD_S} s, test ${TEST_S} s`);
  const rows: Row[] = [];
  // BENCH_METRIC=0 leaves out the rows of the noisy metric.
  const oracles: OracleKind[] =
    process.env.BENCH_METRIC === '0' ? ['command'] : ['command', 'metric'];
  for (const oracle of oracles) {
    for (const labs of LABS) {
      // The metric measures on the build host: unset, the service builds nothing ahead; its
      // sample is a sleep that load does not change, so `speculate: true` may build ahead.
      const settings = oracle === 'command' ? [false, true] : [undefined, true];
      for (const speculate of settings) {
        say(
          `${oracle} bisect with ${labs} test slot(s), speculate: ${speculationLabel(speculate)}`,
        );
        rows.push(await bisect(oracle, labs, speculate));
      }
    }
  }
  console.log(
    '| oracle | labs | speculate | rounds | ⌈log_(k+1) N⌉ | oracle runs | wall s | test s | wall / (rounds × max(build, test)) | culprit |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const row of rows) {
    const ideal = roundsFor(row.commits, row.labs);
    // A metric commit's test is its samples: the mean per journal entry, calibration included.
    const test = row.oracle === 'command' ? TEST_S : (row.oracleRuns / row.entries) * SAMPLE_S;
    const perRound = Math.max(BUILD_S, test);
    console.log(
      `| ${row.oracle} | ${row.labs} | ${speculationLabel(row.speculate)} | ${row.rounds} | ${ideal} | ${row.oracleRuns} | ` +
        `${row.wallSeconds.toFixed(1)} | ${test.toFixed(1)} | ${(row.wallSeconds / (row.rounds * perRound)).toFixed(2)} | ` +
        `${row.culprit === culprit ? `planted ${culprit.slice(0, 12)}` : `WRONG ${row.culprit}`} |`,
    );
  }
  for (const labs of LABS) {
    const [off, on] = rows.filter((row) => row.oracle === 'command' && row.labs === labs) as [
      Row,
      Row,
    ];
    console.log(
      `k = ${labs}: speculation ${(off.wallSeconds / on.wallSeconds).toFixed(2)}× faster; ` +
        `rounds ${off.rounds} vs ⌈log_${labs + 1} N⌉ + 1 = ${roundsFor(off.commits, labs) + 1}`,
    );
  }
  if (oracles.includes('metric')) {
    console.log(
      'metric rows: the oracle measures on lab local, the build host, so unset it builds nothing ' +
        'ahead (docs/service.md, "Builds ahead"); speculate: true builds ahead anyway (the sample ' +
        'is a sleep, which load does not change); rounds include its calibration',
    );
  }
  if (rows.some((row) => row.culprit !== culprit)) process.exitCode = 1;
} finally {
  await worker.close();
  await api.close();
  await deleteKeys(redisUrl, prefix);
  await redis?.stop();
  rmSync(work, { recursive: true, force: true });
}

/**
 * A linear history of `count` commits on `main`, tagged v0 at the first; `state` reads good
 * before commit #culprit and bad from it on. Returns the culprit's sha.
 */
function makeHistory(dir: string, count: number, culpritAt: number): string {
  mkdirSync(dir, { recursive: true });
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'bench@kbisect.invalid');
  git('config', 'user.name', 'Bench');
  let planted = '';
  for (let i = 0; i < count; i++) {
    writeFileSync(join(dir, 'state'), i >= culpritAt ? 'bad\n' : 'good\n');
    writeFileSync(join(dir, 'counter'), `${i}\n`);
    git('add', '.');
    git('commit', '-q', '-m', `commit ${i}`);
    if (i === 0) git('tag', 'v0');
    if (i === culpritAt) planted = git('rev-parse', 'HEAD');
  }
  return planted;
}

// Command builds of a real C project: cold worktree vs warm build slot, per commit
// (`npm run bench:slots` bisects that project whole, against `git bisect run`).
// BENCH_COLD_WARM=0 leaves them out (a few minutes of compiling).
if (process.env.BENCH_COLD_WARM !== '0') {
  const { printColdVsWarmBuilds } = await import('./slots/cold-vs-warm.js');
  await printColdVsWarmBuilds();
}
