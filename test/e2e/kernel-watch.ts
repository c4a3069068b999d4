import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BisectSpec, LabSpec, WatchRun } from '@kbisect/contracts';
import type { KernelRepoVariant } from '../fixtures/kernel-repo/kernel-repo.js';

export interface WatchScenario {
  apiUrl: string;
  /** The kernel fixture repository (a non-bare checkout the watch reads as its repo). */
  repoDir: string;
  /** The tail-more variant: its culprit and the harmless commit after it are what is pushed. */
  variant: KernelRepoVariant;
  build: NonNullable<BisectSpec['build']>;
  lab: LabSpec;
  timeoutMinutes: number;
  log: (line: string) => void;
}

const BRANCH = 'kbisect-e2e-nightly';
const EVERY_MINUTE = '* * * * *';
const NEXT_YEAR = '0 3 1 1 *';

/**
 * `npm run e2e:kernel -- --watch`: a watch on a branch of the kernel fixture with a kernel
 * build spec and the lab VM, on a one-minute cron. Two runs on a good tip (the culprit's
 * parent: each builds the tip kernel in a build job and kexecs it in a lab-test job), then the
 * planted tail-more commit and the harmless commit after it are "pushed" (the branch moves to
 * that commit); the next run must see the stalls, and its bisect, on the lab, must name the
 * planted commit. Prints the run history with each night's kernel and timings.
 * Returns true when all of that happened.
 */
export async function runWatchScenario(scenario: WatchScenario): Promise<boolean> {
  const { apiUrl, repoDir, variant, log } = scenario;
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', repoDir, ...args], { encoding: 'utf8' }).trim();
  const short = (sha: string) => sha.slice(0, 12);
  const goodTip = git('rev-parse', `${variant.culprit}^`);
  // The commit after the culprit on the variant's branch: harmless (a comment).
  const after = git(
    'rev-list',
    '--reverse',
    '--ancestry-path',
    `${variant.culprit}..${variant.bad}`,
  ).split('\n')[0] as string;
  git('branch', '--force', BRANCH, goodTip);
  const deadline = Date.now() + scenario.timeoutMinutes * 60_000;
  const request = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${apiUrl}${path}`, {
      method,
      ...(body !== undefined
        ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
        : {}),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text ? (JSON.parse(text) as unknown) : undefined;
  };
  const runs = async () =>
    ((await request('GET', `/v1/watches/${id}/runs`)) as { runs: WatchRun[] }).runs;
  const printed = new Set<string>();
  const waitFor = async (what: string, done: (runs: WatchRun[]) => boolean) => {
    for (;;) {
      const history = await runs();
      for (const run of [...history].reverse()) {
        if (run.status === 'running' || printed.has(run.id)) continue;
        printed.add(run.id);
        log(`  run ${runLine(run)}`);
      }
      if (done(history)) return history;
      if (Date.now() > deadline) throw new Error(`watch ${id}: no ${what} by the deadline`);
      await sleep(5000);
    }
  };

  const created = (await request('POST', '/v1/watches', {
    repo: repoDir,
    branch: BRANCH,
    cron: EVERY_MINUTE,
    tz: 'UTC',
    build: scenario.build,
    lab: scenario.lab,
    // Transactions per second: ~40 times fewer on a tail-more kernel. Not stalled time: its
    // median is 0 ms/s on a quiet good kernel, and from a zero median any scheduling gap of a
    // busy TCG host is an infinite relative change (a good tip measured twice was a
    // "regression" of itself).
    oracle: { kind: 'splice-loopback' },
    samples: 5,
    regression: { metric: 'median', maxDropPercent: 50 },
    labels: { e2e: 'kernel-watch' },
  })) as { id: string };
  const id = created.id;
  log(`POST /v1/watches → 201 ${id}: ${BRANCH} at ${short(goodTip)}, every minute`);
  try {
    const good = (history: WatchRun[]) =>
      history.filter((r) => r.status === 'good' && r.commit === goodTip).length >= 2;
    await waitFor('two good runs', good);
    log(
      `two good runs on ${short(goodTip)}; pushing ${short(variant.culprit)} and ${short(after)}`,
    );
    git('branch', '--force', BRANCH, after);
    const history = await waitFor('regression', (h) =>
      h.some((r) => r.commit === after && r.status !== 'running'),
    );
    const regressed = history.find((r) => r.commit === after && r.status !== 'running');
    if (regressed?.status !== 'regression' || !regressed.bisectId) {
      log(`the run on ${short(after)} ended ${regressed?.status}: ${regressed?.message ?? ''}`);
      return false;
    }
    log(`regression: ${regressed.message}; bisect ${regressed.bisectId}`);
    // The night is over: a real nightly watch runs again tomorrow. On the one-minute cron the
    // runs to come would measure the same tip on the lab between the bisect's samples, each
    // switch of kernel a kexec; they could only say "already bisected".
    await request('PATCH', `/v1/watches/${id}`, { cron: NEXT_YEAR });
    let bisect: { status: string; result?: { culprit?: string | null; seconds?: unknown } };
    for (;;) {
      bisect = (await request('GET', `/v1/bisects/${regressed.bisectId}`)) as typeof bisect;
      if (!['queued', 'running'].includes(bisect.status)) break;
      if (Date.now() > deadline)
        throw new Error(`bisect ${regressed.bisectId}: no end by the deadline`);
      await sleep(5000);
    }
    const found = bisect.result?.culprit === variant.culprit;
    log(
      `bisect ${regressed.bisectId} ${bisect.status}: culprit ${bisect.result?.culprit ?? '-'} — planted ${short(variant.culprit)} ${found ? 'FOUND' : 'NOT FOUND'}`,
    );
    console.log('\nrun history (oldest first):');
    for (const run of [...(await runs())].reverse()) console.log(`  ${runLine(run)}`);
    return found;
  } finally {
    await request('DELETE', `/v1/watches/${id}`).catch(() => {});
    git('branch', '--delete', '--force', BRANCH);
  }
}

function runLine(run: WatchRun): string {
  const seconds = (from?: string, to?: string) =>
    from && to ? `${((Date.parse(to) - Date.parse(from)) / 1000).toFixed(0)} s` : '-';
  const kernel = run.kernel
    ? `kernel ${run.kernel.release} (${run.kernel.signature?.slice(0, 17) ?? 'no signature'}, built in ${run.kernel.buildSeconds.toFixed(0)} s)`
    : 'no kernel';
  return (
    `${run.id} ${run.status} ${run.commit?.slice(0, 12) ?? '-'} ${kernel}; ` +
    `samples ${run.samples?.join(' ') ?? '-'}; run ${seconds(run.startedAt, run.finishedAt)}` +
    `${run.bisectId ? `; bisect ${run.bisectId}` : ''}${run.message ? ` — ${run.message}` : ''}`
  );
}
