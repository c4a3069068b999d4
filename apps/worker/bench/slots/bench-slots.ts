/**
 * `npm run bench:slots`: command builds warm but never stale, on a real C project. A generated
 * history of BENCH_SLOTS_COMMITS commits (default 250) over libbpf from the kernel 6.1 source
 * (`libbpf-history.ts`, cached under ~/.cache/kbisect-bench) with a planted culprit, bisected
 * three ways, one after the other, in one run:
 *   a. `git bisect run` in one checkout reused dirty, make rebuilding what changed (the usual
 *      way by hand);
 *   b. `kbisect run`: each commit checked out clean in a build slot, ccache in front of CC;
 *   c. `kbisect run --ccache off`: the same clean checkouts with nothing to reuse, i.e. every
 *      build cold (BENCH_SLOTS_COLD=0 leaves it out: it is the long one).
 * Each starts cold: a fresh clone for git, an empty cache directory (mirror, slots, ccache)
 * for kbisect. Prints the walls side by side, the culprits, and per commit the build seconds
 * of (b) and (c). Run it under nice on a shared machine; each run is bounded (BENCH_SLOTS_TIMEOUT_S).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  HASHMAP_ORACLE_C,
  hashmapOracle,
  LIBBPF_BUILD,
  type LibbpfHistory,
  libbpfHistory,
} from './libbpf-history.js';

const COMMITS = Number(process.env.BENCH_SLOTS_COMMITS ?? 250);
const TIMEOUT_S = Number(process.env.BENCH_SLOTS_TIMEOUT_S ?? 3600);
const COLD = process.env.BENCH_SLOTS_COLD !== '0';
const CLI = resolve(import.meta.dirname, '../../../cli/bin/kbisect.js');
const say = (text: string) => process.stderr.write(`bench:slots: ${text}\n`);

interface Run {
  name: string;
  wallSeconds: number;
  culprit: string | null;
  /** Build seconds by commit, in the order the commits were tested (kbisect runs). */
  builds: Map<string, number>;
  tested: number;
}

/** Runs a command to its end (bounded), with its output kept; rejects on a timeout. */
function run(
  argv: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(argv[0] as string, argv.slice(1), {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`${argv.join(' ')}: still running after ${TIMEOUT_S} s`));
    }, TIMEOUT_S * 1000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

async function gitBisectRun(history: LibbpfHistory, oracle: string, work: string): Promise<Run> {
  const checkout = join(work, 'checkout');
  const git = (...args: string[]) => run(['git', ...args], { cwd: checkout });
  const started = performance.now();
  await run(['git', 'clone', '-q', history.dir, checkout], { cwd: work });
  await git('bisect', 'start', history.bad, history.good);
  const step = `${LIBBPF_BUILD} >/dev/null 2>&1 || exit 125; ${oracle}`;
  const bisect = await git('bisect', 'run', 'sh', '-c', step);
  const wallSeconds = (performance.now() - started) / 1000;
  const culprit = /^([0-9a-f]{40}) is the first bad commit/m.exec(bisect.stdout)?.[1] ?? null;
  const tested = (bisect.stdout.match(/^running /gm) ?? []).length;
  if (!culprit) say(`git bisect run said:\n${bisect.stdout.slice(-2000)}${bisect.stderr}`);
  return { name: 'git bisect run', wallSeconds, culprit, builds: new Map(), tested };
}

async function kbisectRun(
  name: string,
  history: LibbpfHistory,
  oracle: string,
  work: string,
  ccache: 'auto' | 'off',
): Promise<Run> {
  const cache = join(work, 'cache');
  const started = performance.now();
  const { code, stdout, stderr } = await run(
    [
      process.execPath,
      CLI,
      'run',
      '--repo',
      history.dir,
      '--good',
      history.good,
      '--bad',
      history.bad,
      '--build',
      LIBBPF_BUILD,
      '--ccache',
      ccache,
      '--oracle',
      `command:${oracle}`,
      '--json',
    ],
    { cwd: work, env: { KBISECT_CACHE_DIR: cache } },
  );
  const wallSeconds = (performance.now() - started) / 1000;
  const line = stdout.trim().split('\n').pop() ?? '';
  let result: {
    culprit?: string | null;
    journal?: { commit: string; evidence?: { build?: { seconds: number } } }[];
  } = {};
  try {
    result = JSON.parse(line);
  } catch {
    say(`${name} exited ${code}:\n${stderr.slice(-3000)}`);
  }
  const builds = new Map<string, number>();
  for (const entry of result.journal ?? []) {
    if (entry.evidence?.build) builds.set(entry.commit, entry.evidence.build.seconds);
  }
  return { name, wallSeconds, culprit: result.culprit ?? null, builds, tested: builds.size };
}

const short = (sha: string | null) => (sha ? sha.slice(0, 12) : 'none');

function print(history: LibbpfHistory, runs: Run[]): void {
  const named = (run: Run) =>
    run.culprit === history.culprit ? 'planted' : `WRONG ${short(run.culprit)}`;
  console.log(
    `libbpf (linux-source-6.1) history: ${history.commits} commits, ${history.merges} merges, ` +
      `culprit ${short(history.culprit)}; build \`${LIBBPF_BUILD}\``,
  );
  console.log('| run | wall s | commits tested | build s (sum) | culprit |');
  console.log('|---|---|---|---|---|');
  for (const run of runs) {
    const sum = [...run.builds.values()].reduce((a, b) => a + b, 0);
    console.log(
      `| ${run.name} | ${run.wallSeconds.toFixed(1)} | ${run.tested} | ` +
        `${run.builds.size ? sum.toFixed(1) : '-'} | ${named(run)} |`,
    );
  }
  const [git, warm, cold] = runs;
  if (git && warm) {
    console.log(
      `kbisect warm / git bisect run: ${(warm.wallSeconds / git.wallSeconds).toFixed(2)}×`,
    );
  }
  if (warm && cold) {
    console.log(`kbisect cold / warm: ${(cold.wallSeconds / warm.wallSeconds).toFixed(2)}×`);
    console.log('| commit | cold build s (clean tree, no ccache) | warm build s (slot + ccache) |');
    console.log('|---|---|---|');
    for (const [commit, seconds] of warm.builds) {
      console.log(
        `| ${short(commit)} | ${cold.builds.get(commit)?.toFixed(1) ?? '-'} | ${seconds.toFixed(1)} |`,
      );
    }
  }
}

const history = libbpfHistory(COMMITS, say);
const work = mkdtempSync(join(tmpdir(), 'kbisect-bench-slots-'));
try {
  const oracleSource = join(work, 'hashmap-oracle.c');
  writeFileSync(oracleSource, HASHMAP_ORACLE_C);
  const oracle = hashmapOracle(oracleSource);
  const runs: Run[] = [];
  const dir = (name: string) => mkdtempSync(join(work, `${name}-`));
  say('a. git bisect run, one checkout reused dirty');
  runs.push(await gitBisectRun(history, oracle, dir('git')));
  say('b. kbisect run, build slots + ccache');
  runs.push(await kbisectRun('kbisect run (slots + ccache)', history, oracle, dir('warm'), 'auto'));
  if (COLD) {
    say('c. kbisect run --ccache off, every build cold');
    runs.push(
      await kbisectRun('kbisect run --ccache off (cold)', history, oracle, dir('cold'), 'off'),
    );
  }
  print(history, runs);
  if (runs.some((r) => r.name.startsWith('kbisect') && r.culprit !== history.culprit)) {
    process.exitCode = 1;
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
