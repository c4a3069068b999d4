import { setTimeout as sleep } from 'node:timers/promises';
import { type BisectSpec, isTerminal, type LabSpec, type ResultObject } from '@kbisect/contracts';
import type { Confirmation, JournalEntry } from '@kbisect/core';
import type { KernelRepoVariant } from '../fixtures/kernel-repo/kernel-repo.js';

export interface BisectScenario {
  apiUrl: string;
  repoDir: string;
  variant: KernelRepoVariant;
  build: NonNullable<BisectSpec['build']>;
  lab: LabSpec;
  oracle: BisectSpec['oracle'];
  decision: NonNullable<BisectSpec['decision']>;
  /** A boot bisect: the planted commit stops the kernel from booting. */
  bootBisect: boolean;
  confirm: boolean;
  /** Builds ahead of the next step's commits while one is tested (the service's default). */
  speculate: boolean;
  /** What the samples are, for the step table: "txn/s", "stalled ms/s", "exit code". */
  unit: string;
  timeoutMinutes: number;
  log: (line: string) => void;
}

const short = (sha: string) => sha.slice(0, 12);

/**
 * One kernel bisect through the service: POST /v1/bisects with a kernel build spec, the lab
 * VM and the scenario's oracle, followed over the API to its end, with a table of each step's
 * build, boot and test time. True when the culprit is the planted commit (confirmed, unless
 * `confirm` is off), every unbuildable commit it visited was skipped, and a boot bisect saw
 * kernels fail to boot.
 */
export async function runBisectScenario(scenario: BisectScenario): Promise<boolean> {
  const { apiUrl, variant, log } = scenario;
  const spec: BisectSpec = {
    repo: scenario.repoDir,
    good: variant.good,
    bad: variant.bad,
    build: scenario.build,
    lab: scenario.lab,
    oracle: scenario.oracle,
    decision: scenario.decision,
    // A kernel that stops booting is the regression itself: a boot bisect.
    ...(scenario.bootBisect ? { bootFailure: 'bad' as const } : {}),
    confirm: scenario.confirm,
    ...(scenario.speculate ? {} : { speculate: false }),
    // The culprit's report mail, LKP style (the service's mbox dry run, kernel-bisect.ts).
    notify: [{ mail: { cc: ['e2e-list@kbisect.invalid'] } }],
  };
  const posted = await fetch(`${apiUrl}/v1/bisects`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(spec),
  });
  const created = (await posted.json()) as { id?: string; message?: string };
  if (posted.status !== 201 || !created.id) {
    throw new Error(`POST /v1/bisects: ${posted.status} ${JSON.stringify(created)}`);
  }
  const id = created.id;
  const t0 = performance.now();
  log(
    `POST /v1/bisects → 201 ${id} (${variant.bug}, oracle ${scenario.oracle.kind}, lab ${JSON.stringify(spec.lab)}, speculate ${scenario.speculate})`,
  );

  // Follow over the API: the journal grows by one verdict per step, with its evidence.
  interface View {
    status: string;
    progress?: { phase: string; commit: string; remaining: number; stepsLeft: number };
    journal: JournalEntry[];
    result?: ResultObject;
  }
  const deadline = Date.now() + scenario.timeoutMinutes * 60_000;
  let seen = 0;
  let lastProgress = '';
  let view: View;
  for (;;) {
    const response = await fetch(`${apiUrl}/v1/bisects/${id}`);
    view = (await response.json()) as View;
    const progress = view.progress
      ? `${view.progress.phase} ${short(view.progress.commit)} (${view.progress.remaining} candidates, ~${view.progress.stepsLeft} steps left)`
      : '';
    if (progress && progress !== lastProgress) log(progress);
    lastProgress = progress;
    for (const entry of view.journal.slice(seen)) log(`  ${stepLine(entry)}`);
    seen = view.journal.length;
    if (isTerminal(view.status as never)) break;
    if (Date.now() > deadline) throw new Error(`bisect ${id} still ${view.status} at the deadline`);
    await sleep(1000);
  }

  console.log(
    `\nbisect ${id} per step (build = kernel build job, boot = upload + kexec + SSH back, test = all samples):`,
  );
  console.log(`commit        verdict  build s  boot s  test s  samples (${scenario.unit})`);
  let buildTotal = 0;
  let bootTotal = 0;
  let testTotal = 0;
  for (const entry of view.journal) {
    const t = timings(entry);
    buildTotal += t.build ?? 0;
    bootTotal += t.boot ?? 0;
    testTotal += t.test ?? 0;
    console.log(
      `${short(entry.commit)}  ${entry.verdict.padEnd(7)} ${fmt(t.build)}${t.cached ? '*' : ' '}${fmt(t.boot)} ${fmt(t.test)}  ${t.samples.join(' ')}`,
    );
  }
  const result = view.result;
  console.log('(* = kernel from the build cache)');
  console.log(
    `bisect ${id} ${view.status}: revisions tested ${view.journal.length}, oracle runs ${result?.oracleRuns ?? '-'}; build ${buildTotal.toFixed(0)} s, boot ${bootTotal.toFixed(0)} s, test ${testTotal.toFixed(0)} s (boot is part of test); service total ${result?.seconds?.total.toFixed(0) ?? '-'} s, wall ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );
  if (result?.reason || result?.error) console.log(`reason: ${result.reason ?? result.error}`);
  const skipped = view.journal.filter((e) => e.verdict === 'skip').map((e) => e.commit);
  const tested = new Set(view.journal.map((e) => e.commit));
  const unbuildableTested = variant.unbuildable.filter((c) => tested.has(c));
  const confirmations = (result?.confirmations ?? []) as Confirmation[];
  for (const c of confirmations) {
    console.log(
      `confirmation ${c.check} ${short(c.commit)}: ${c.passed ? 'passed' : 'FAILED'}${c.note ? ` (${c.note})` : ''}${c.entry?.evidence?.decision ? ` — ${(c.entry.evidence.decision as { summary?: string }).summary ?? ''}` : ''}`,
    );
  }
  const confirmed =
    !scenario.confirm ||
    (['culprit-is-bad', 'parent-is-good', 'revert-is-good'] as const).every((check) =>
      confirmations.some((c) => c.check === check && c.passed),
    );
  const found = result?.status === 'found' && result.culprit === variant.culprit && confirmed;
  const skipsRight = unbuildableTested.every((c) => skipped.includes(c));
  console.log(
    `result: ${result?.status} ${result?.culprit ?? ''}${result?.effect ? ` (${result.effect})` : ''}`,
  );
  console.log(
    `planted culprit ${short(variant.culprit)}: ${found ? 'FOUND' : 'NOT FOUND'} through the service; unbuildable commit ${unbuildableTested.length ? (skipsRight ? 'tested and skipped' : 'tested and NOT skipped') : 'not visited by the bisect'}`,
  );
  // A boot bisect must have seen the kernel not boot: verdicts bad for that reason.
  const bootFailures = view.journal.filter((e) => e.evidence?.badReason === 'boot-failed').length;
  if (scenario.bootBisect) console.log(`boot failures counted bad: ${bootFailures}`);
  return found && skipsRight && (!scenario.bootBisect || bootFailures > 0);
}

function timings(entry: JournalEntry) {
  const evidence = entry.evidence;
  const build = evidence?.build as { seconds?: number; cached?: boolean } | undefined;
  const samples = evidence?.samples ?? [];
  const boot = samples
    .map((s) => (s.detail?.deployment as { totalSeconds?: number } | undefined)?.totalSeconds)
    .find((s) => s !== undefined);
  return {
    build: build?.seconds,
    cached: build?.cached === true,
    boot,
    test: evidence?.testSeconds,
    samples: samples.map((s) =>
      s.value !== undefined ? s.value.toFixed(0) : s.hang ? 'hang' : `exit ${s.exitCode ?? '-'}`,
    ),
  };
}

function stepLine(entry: JournalEntry): string {
  const t = timings(entry);
  const evidence = entry.evidence;
  return `verdict ${short(entry.commit)}: ${entry.verdict}; build ${fmt(t.build).trim()} s${t.cached ? ' (cached)' : ''}, boot ${fmt(t.boot).trim()} s, test ${fmt(t.test).trim()} s, samples ${t.samples.join(' ')}${evidence?.skipReason ? ` — skip: ${evidence.skipReason}${evidence.note ? ` ${evidence.note.split('\n')[0]}` : ''}` : ''}${evidence?.badReason ? ` — bad: ${evidence.badReason} ${evidence.note?.split('\n')[0] ?? ''}` : ''}${evidence?.decision ? ` — ${(evidence.decision as { summary?: string }).summary ?? ''}` : ''}`;
}

function fmt(value: number | undefined): string {
  return (value === undefined ? '-' : value.toFixed(1)).padStart(7);
}
