import { describe, expect, it } from 'vitest';
import type { Sample } from '../evidence.js';
import type { JournalEntry } from '../journal.js';
import { NotDistinguishable } from '../stats/errors.js';
import { thresholdPolicy } from '../stats/threshold-policy.js';
import { tinyRange } from '../testing/tiny-range.js';
import type { BisectEnvironment, PreparedCommit } from './environment.js';
import { BisectCancelled, EndpointDidNotBoot, OracleFailed } from './errors.js';
import { type Calibration, EndpointUnbuildable, runBisect } from './run-bisect.js';
import { statisticalCalibration } from './statistical-calibration.js';

// A linear history g ← a ← b ← c ← d ← e (bad); each commit knows its parent.
const range = tinyRange(
  `
  e d
  d c
  c b
  b a
  a g
`,
  { bad: 'e', goods: ['g'] },
);
const policy = thresholdPolicy({ threshold: 50, direction: 'higher-is-better' });

interface Script {
  /** Throughput of each commit; commits from the culprit on measure low. */
  value: (commit: string, call: number) => number;
  unbuildable?: string[];
  oracleFails?: string[];
  /** Commits whose kernel does not come back on the lab (the revert of a culprit does). */
  bootFails?: string[];
  revert?: 'applies' | 'conflicts';
  revertValue?: number;
}

/** An in-memory lab: scripted builds and measurements, and a ledger of what was held. */
function scriptedEnvironment(script: Script) {
  const held = new Set<string>();
  const calls = new Map<string, number>();
  let serial = 0;
  const prepared: string[] = [];
  const env: BisectEnvironment<PreparedCommit & { id: string; reverted?: boolean }> = {
    async prepare(commit) {
      const id = `${commit}#${serial++}`;
      held.add(id);
      prepared.push(commit);
      const ok = !script.unbuildable?.includes(commit);
      return {
        commit,
        id,
        build: ok ? { ok, seconds: 1 } : { ok, seconds: 1, logTail: `error: ${commit} broke` },
      };
    },
    async measure(p): Promise<Sample> {
      if (script.oracleFails?.includes(p.commit))
        throw new OracleFailed('printed no number', 'garbage');
      if (!p.reverted && script.bootFails?.includes(p.commit)) {
        throw new OracleFailed(
          'boot failed: lab vm-a: kernel did not answer SSH within 90 s',
          'Kernel panic - not syncing: VFS: Unable to mount root fs',
          'boot-failed',
        );
      }
      const n = calls.get(p.commit) ?? 0;
      calls.set(p.commit, n + 1);
      const value = p.reverted ? (script.revertValue ?? 100) : script.value(p.commit, n);
      return { value, seconds: 0.5 };
    },
    async release(p) {
      if (!held.delete(p.id)) throw new Error(`released twice: ${p.id}`);
    },
  };
  if (script.revert) {
    env.prepareRevert = async (onto) => {
      if (script.revert === 'conflicts') return null;
      const id = `${onto}-revert#${serial++}`;
      held.add(id);
      return { commit: onto, id, reverted: true, build: { ok: true, seconds: 1 } };
    };
  }
  return { env, held, calls, prepared };
}

const regressionFrom = (culprit: string) => (commit: string) =>
  'gabcde'.indexOf(commit) >= 'gabcde'.indexOf(culprit) ? 10 : 100;

describe('runBisect', () => {
  it('names the culprit, confirms it against its parent and its revert, and releases everything', async () => {
    const { env, held } = scriptedEnvironment({ value: regressionFrom('c'), revert: 'applies' });
    const outcome = await runBisect({ range, env, policy, confirm: true });
    expect(outcome.result).toEqual({ kind: 'found', culprit: 'c' });
    expect(outcome.confirmations.map((c) => [c.check, c.commit, c.passed])).toEqual([
      ['culprit-is-bad', 'c', true],
      ['parent-is-good', 'b', true],
      ['revert-is-good', 'e', true],
    ]);
    expect(held.size).toBe(0);
    expect(outcome.totals.steps).toBe(outcome.journal.length);
    expect(outcome.totals.buildSeconds).toBeGreaterThan(0);
  });

  it('corrects a verdict the confirmation overturns in the journal and goes on to a confirmed culprit', async () => {
    // c measures bad once, then good: a false first verdict. d is where the regression is.
    const flaky = (commit: string, call: number) =>
      commit === 'c' && call > 0 ? 100 : regressionFrom('c')(commit);
    const { env } = scriptedEnvironment({ value: flaky });
    const entries: JournalEntry[] = [];
    const outcome = await runBisect({
      range,
      env,
      policy,
      confirm: true,
      onJournalEntries: (e) => {
        entries.push(...e);
      },
    });
    expect(outcome.result).toEqual({ kind: 'found', culprit: 'd' });
    expect(outcome.confirmations.map((c) => [c.check, c.commit, c.passed])).toEqual([
      ['culprit-is-bad', 'd', true],
      ['parent-is-good', 'c', true],
    ]);
    // The re-test of c is appended after its first verdict, which it supersedes, and persisted.
    const repairs = outcome.journal.filter((e) => e.retest);
    expect(repairs).toMatchObject([{ commit: 'c', verdict: 'good', retest: 'culprit-is-bad' }]);
    expect(outcome.journal.findIndex((e) => e.commit === 'c')).toBeLessThan(
      outcome.journal.indexOf(repairs[0] as JournalEntry),
    );
    expect(entries).toEqual(outcome.journal);
  });

  it('ends inconclusive with the reason once the re-tests keep overturning verdicts', async () => {
    // A regression that does not reproduce: every commit measures bad once, then good. Two
    // repairs (c, then d measured good), then the culprit e re-tests good and the
    // confirmation fails as before.
    const once = (commit: string, call: number) => (call > 0 ? 100 : regressionFrom('c')(commit));
    const { env } = scriptedEnvironment({ value: once });
    const outcome = await runBisect({ range, env, policy, confirm: true });
    expect(outcome.result.kind).toBe('inconclusive');
    expect(outcome.result.kind === 'inconclusive' && outcome.result.reason).toMatch(
      /confirmation failed/,
    );
    expect(outcome.journal.filter((e) => e.retest)).toHaveLength(2);
  });

  it('counts the repairs a resumed journal holds already', async () => {
    const flaky = (commit: string, call: number) =>
      commit === 'c' && call > 0 ? 100 : regressionFrom('c')(commit);
    const first = await runBisect({
      range,
      env: scriptedEnvironment({ value: flaky }).env,
      policy,
      confirm: true,
    });
    // The same journal with two repairs already made (by hand here): no third.
    const repaired = first.journal.filter((e) => !e.retest);
    const made = (commit: string): JournalEntry => ({
      commit,
      verdict: 'good',
      source: 'oracle',
      retest: 'culprit-is-bad',
    });
    // Resumed on a lab where c measures good from its first run on.
    const good = (commit: string) => (commit === 'c' ? 100 : regressionFrom('c')(commit));
    const outcome = await runBisect({
      range,
      env: scriptedEnvironment({ value: good }).env,
      policy,
      confirm: true,
      journal: [...repaired, made('a'), made('b')],
    });
    expect(outcome.result).toMatchObject({
      kind: 'inconclusive',
      reason: expect.stringMatching(/culprit-is-bad/),
    });
  });

  it('reports a revert that does not apply as not tested, without failing the result', async () => {
    const { env } = scriptedEnvironment({ value: regressionFrom('d'), revert: 'conflicts' });
    const outcome = await runBisect({ range, env, policy, confirm: true });
    expect(outcome.result).toEqual({ kind: 'found', culprit: 'd' });
    const revert = outcome.confirmations.find((c) => c.check === 'revert-is-good');
    expect(revert?.passed).toBe(false);
    expect(revert?.note).toMatch(/does not apply/);
  });

  it('skips a commit that does not build, keeping the log tail, and never blames it', async () => {
    const { env } = scriptedEnvironment({ value: regressionFrom('c'), unbuildable: ['c'] });
    const outcome = await runBisect({ range, env, policy });
    const entry = outcome.journal.find((e) => e.commit === 'c');
    expect(entry?.verdict).toBe('skip');
    expect(entry?.evidence?.skipReason).toBe('build-failed');
    expect(entry?.evidence?.build?.logTail).toContain('c broke');
    expect(outcome.result).toEqual({
      kind: 'inconclusive',
      candidates: expect.arrayContaining(['c', 'd']),
      reason: expect.any(String),
    });
  });

  it('skips a commit whose oracle produced no measurement, with the output as evidence', async () => {
    const { env } = scriptedEnvironment({ value: regressionFrom('d'), oracleFails: ['b'] });
    const outcome = await runBisect({ range, env, policy });
    const entry = outcome.journal.find((e) => e.commit === 'b');
    expect(entry?.verdict).toBe('skip');
    expect(entry?.evidence?.skipReason).toBe('oracle-skip');
    expect(entry?.evidence?.note).toContain('garbage');
    expect(outcome.result).toEqual({ kind: 'found', culprit: 'd' });
  });

  it('resumes from a journal without measuring the recorded commits again', async () => {
    const first = scriptedEnvironment({ value: regressionFrom('b') });
    const persisted: JournalEntry[] = [];
    const full = await runBisect({
      range,
      env: first.env,
      policy,
      onJournalEntries: (entries) => void persisted.push(...entries),
    });
    // Crash after two verdicts: a new process starts from what was persisted.
    const second = scriptedEnvironment({ value: regressionFrom('b') });
    const resumed = await runBisect({
      range,
      env: second.env,
      policy,
      journal: persisted.slice(0, 2),
    });
    expect(resumed.result).toEqual(full.result);
    expect(resumed.journal.map((e) => e.commit)).toEqual(full.journal.map((e) => e.commit));
    expect(second.prepared).toEqual(full.journal.slice(2).map((e) => e.commit));
  });

  it('says roughly how long is left at each step, from the measured builds and runs, shrinking to one test', async () => {
    const { env } = scriptedEnvironment({ value: regressionFrom('c'), revert: 'applies' });
    const steps: { phase: string; secondsLeft?: number }[] = [];
    await runBisect({
      range,
      env,
      policy,
      confirm: true,
      onEvent: (event) => {
        if (event.type === 'step') steps.push(event);
      },
    });
    // Nothing is measured before the first endpoint: no estimate rather than a made-up one.
    expect(steps[0]?.secondsLeft).toBeUndefined();
    const estimates = steps.slice(1).map((s) => s.secondsLeft);
    expect(estimates.every((s) => s !== undefined && s > 0)).toBe(true);
    for (let i = 1; i < estimates.length; i++) {
      expect(estimates[i]).toBeLessThanOrEqual(estimates[i - 1] as number);
    }
    // The revert is the last test: one build (1 s) and one run (0.5 s), rounded.
    expect(steps.at(-1)).toMatchObject({ phase: 'confirm', secondsLeft: 2 });
  });

  it('asks the environment to build ahead, while a step builds, the commits the next step may pick', async () => {
    const { env } = scriptedEnvironment({ value: regressionFrom('c') });
    const asked: { testing: string; next: readonly string[] }[] = [];
    const bisected: string[] = [];
    const order: string[] = [];
    const prepare = env.prepare.bind(env);
    env.prepare = async (commit, signal) => {
      const prepared = await prepare(commit, signal);
      order.push(`built ${commit}`);
      return prepared;
    };
    env.speculate = (testing, next) => {
      order.push(`ahead ${testing}`);
      asked.push({ testing, next });
    };
    const outcome = await runBisect({
      range,
      env,
      policy,
      onEvent: (event) => {
        // The loop's steps: the endpoints checked, then the bisect (confirmations build nothing ahead).
        if (event.type === 'step' && event.phase !== 'confirm') bisected.push(event.commit);
      },
    });
    expect(outcome.result).toEqual({ kind: 'found', culprit: 'c' });
    // Every step was asked about while it was tested, and each step after the first
    // is one of the commits its predecessor asked for: the build ahead was the right one.
    expect(asked.map((a) => a.testing)).toEqual(bisected);
    for (let i = 1; i < bisected.length; i++) {
      expect(asked[i - 1]?.next).toContain(bisected[i]);
    }
    // Asked before the step's own build was done, so both overlap.
    for (const [at, line] of order.entries()) {
      if (line.startsWith('ahead ')) expect(order[at + 1]).toBe(`built ${line.slice(6)}`);
    }
    const without = scriptedEnvironment({ value: regressionFrom('c') });
    let calls = 0;
    without.env.speculate = () => calls++;
    await runBisect({ range, env: without.env, policy, speculate: false });
    expect(calls).toBe(0);
  });

  it('calibrates on the endpoints, then recalibrates from the journal when resumed', async () => {
    const noisy = (commit: string, call: number) =>
      regressionFrom('c')(commit) * (1 + ((call % 5) - 2) / 100);
    const calibration = statisticalCalibration({
      samplesPerEndpoint: 6,
      calibrate: { direction: 'higher-is-better' },
    });
    const first = scriptedEnvironment({ value: noisy });
    const outcome = await runBisect({ range, env: first.env, calibration });
    expect(outcome.result).toEqual({ kind: 'found', culprit: 'c' });
    expect(outcome.journal.slice(0, 2).map((e) => [e.commit, e.evidence?.samples?.length])).toEqual(
      [
        ['e', 6],
        ['g', 6],
      ],
    );
    const second = scriptedEnvironment({ value: noisy });
    await runBisect({ range, env: second.env, calibration, journal: outcome.journal.slice(0, 3) });
    expect(second.prepared).not.toContain('e');
    expect(second.prepared).not.toContain('g');
  });

  it('calibrates a large regression on the first look: 6 runs of each endpoint, not the cap', async () => {
    const noisy = (commit: string, call: number) =>
      regressionFrom('c')(commit) * (1 + ((call % 5) - 2) / 100);
    const calibration = statisticalCalibration({
      samplesPerEndpoint: 40,
      calibrate: { direction: 'higher-is-better' },
    });
    const { env } = scriptedEnvironment({ value: noisy });
    const outcome = await runBisect({ range, env, calibration });
    expect(outcome.result).toEqual({ kind: 'found', culprit: 'c' });
    const endpoints = outcome.journal.filter((e) => e.commit === 'e' || e.commit === 'g');
    expect(endpoints.map((e) => [e.commit, e.evidence?.samples?.length])).toEqual([
      ['e', 6],
      ['g', 6],
    ]);
    // Every commit decided in 3 runs by the likelihood ratio, against 6 baseline runs.
    const tested = outcome.journal.filter((e) => !endpoints.includes(e));
    for (const entry of tested) {
      expect(entry.evidence?.samples).toHaveLength(3);
      expect(entry.evidence?.decision).toMatchObject({ rule: 'likelihood-ratio' });
    }
    expect(outcome.totals.oracleRuns).toBe(12 + 3 * tested.length);
  });

  it('calibrates past the first look when so few commit runs are allowed that 6 baseline runs could not serve the rank test', async () => {
    const noisy = (commit: string, call: number) =>
      regressionFrom('c')(commit) * (1 + ((call % 5) - 2) / 100);
    const calibration = statisticalCalibration({
      samplesPerEndpoint: 40,
      calibrate: { direction: 'higher-is-better' },
      // 6 runs against 6 cannot go below p = 1/924 > 0.001.
      policy: { maxSamples: 6 },
    });
    const outcome = await runBisect({
      range,
      env: scriptedEnvironment({ value: noisy }).env,
      calibration,
    });
    expect(outcome.result).toEqual({ kind: 'found', culprit: 'c' });
    const runsOf = (commit: string) =>
      outcome.journal
        .filter((e) => e.commit === commit)
        .reduce((n, e) => n + (e.evidence?.samples?.length ?? 0), 0);
    expect([runsOf('e'), runsOf('g')]).toEqual([12, 12]);
  });

  it('resumes a calibration killed between looks from its journal, to the same journal', async () => {
    // 10% apart at ~3% noise: told apart at 6 runs, yet not far enough apart for the
    // likelihood ratio, so the calibration takes its second look at the cap of 12.
    const wobble = [-1, 0.5, 1, -0.5, 0, 0.8, -0.8, 0.3, -0.3, 0.1, -0.6, 0.6];
    const level = (commit: string) => ('gabcde'.indexOf(commit) >= 3 ? 90 : 100);
    const valueAt = (commit: string, run: number) =>
      level(commit) * (1 + 0.03 * (wobble[run % wobble.length] as number));
    const calibration = statisticalCalibration({
      samplesPerEndpoint: 12,
      calibrate: { direction: 'higher-is-better' },
    });
    const whole = await runBisect({
      range,
      env: scriptedEnvironment({ value: valueAt }).env,
      calibration,
    });
    expect(whole.result).toEqual({ kind: 'found', culprit: 'c' });
    const calibrationEntries = whole.journal.filter((e) => e.commit === 'e' || e.commit === 'g');
    expect(calibrationEntries.map((e) => [e.commit, e.evidence?.samples?.length])).toEqual([
      ['e', 6],
      ['g', 6],
      ['e', 6],
      ['g', 6],
    ]);

    // Killed after the bad endpoint's second batch was recorded: the resumed bisect measures
    // only the good endpoint's second batch, and the oracle goes on where it was.
    const kept = whole.journal.slice(0, 3);
    const taken = (commit: string) =>
      kept.filter((e) => e.commit === commit).flatMap((e) => e.evidence?.samples ?? []).length;
    const second = scriptedEnvironment({
      value: (commit, call) => valueAt(commit, call + taken(commit)),
    });
    const resumed = await runBisect({ range, env: second.env, calibration, journal: kept });
    expect(second.prepared.filter((c) => c === 'e' || c === 'g')).toEqual(['g']);
    const decisions = (journal: readonly JournalEntry[]) =>
      journal.map((e) => [e.commit, e.verdict, e.evidence?.samples?.map((s) => s.value)]);
    expect(decisions(resumed.journal)).toEqual(decisions(whole.journal));
    expect(resumed.result).toEqual(whole.result);
  });

  it('stops with NotDistinguishable when good and bad measure alike', async () => {
    const { env } = scriptedEnvironment({ value: (_c, call) => 100 + (call % 3) });
    const calibration = statisticalCalibration({
      samplesPerEndpoint: 5,
      calibrate: { direction: 'higher-is-better' },
    });
    await expect(runBisect({ range, env, calibration })).rejects.toBeInstanceOf(NotDistinguishable);
  });

  it('refuses to calibrate on an endpoint that does not build', async () => {
    const { env } = scriptedEnvironment({ value: regressionFrom('c'), unbuildable: ['e'] });
    const calibration: Calibration = {
      samplesPerEndpoint: 3,
      plan: (goods, bad) =>
        [bad, ...goods].every((s) => s.length >= 3)
          ? { kind: 'policy', policy }
          : { kind: 'measure', runs: 3 },
    };
    await expect(runBisect({ range, env, calibration })).rejects.toBeInstanceOf(
      EndpointUnbuildable,
    );
  });

  it('stops with BisectCancelled when cancelled mid-step and still releases what it holds', async () => {
    const controller = new AbortController();
    const { env, held } = scriptedEnvironment({ value: regressionFrom('c') });
    const measure = env.measure.bind(env);
    env.measure = async (p, signal) => {
      controller.abort();
      await new Promise((r) => setTimeout(r, 5));
      if (signal.aborted) throw new Error('killed by the cancel');
      return measure(p, signal);
    };
    await expect(
      runBisect({ range, env, policy, signal: controller.signal }),
    ).rejects.toBeInstanceOf(BisectCancelled);
    expect(held.size).toBe(0);
  });
});

describe('runBisect with kernels that do not boot', () => {
  const allGood = () => 100;
  const calibration = (onCalibrate = () => {}): Calibration => {
    const statistical = statisticalCalibration({
      samplesPerEndpoint: 5,
      calibrate: { direction: 'higher-is-better' },
    });
    return {
      samplesPerEndpoint: 5,
      plan: (goods, bad) => {
        const plan = statistical.plan(goods, bad);
        if (plan.kind === 'policy') onCalibrate();
        return plan;
      },
    };
  };

  it('skips a kernel that does not boot as boot-failed, with the console tail as the note', async () => {
    const { env } = scriptedEnvironment({ value: regressionFrom('d'), bootFails: ['b'] });
    const outcome = await runBisect({ range, env, policy });
    const entry = outcome.journal.find((e) => e.commit === 'b');
    expect(entry?.verdict).toBe('skip');
    expect(entry?.evidence?.skipReason).toBe('boot-failed');
    expect(entry?.evidence?.badReason).toBeUndefined();
    expect(entry?.evidence?.note).toMatch(/^boot failed: lab vm-a/);
    expect(entry?.evidence?.note).toContain('Kernel panic');
    expect(outcome.result).toEqual({ kind: 'found', culprit: 'd' });
  });

  it('keeps other oracle failures oracle-skip when boot failures count as bad', async () => {
    const { env } = scriptedEnvironment({ value: regressionFrom('d'), oracleFails: ['b'] });
    const outcome = await runBisect({ range, env, policy, bootFailure: 'bad' });
    const entry = outcome.journal.find((e) => e.commit === 'b');
    expect([entry?.verdict, entry?.evidence?.skipReason]).toEqual(['skip', 'oracle-skip']);
  });

  it('in a boot bisect, counts a kernel that does not boot as bad, saying so in the evidence', async () => {
    const { env } = scriptedEnvironment({
      value: allGood,
      bootFails: ['c', 'd', 'e'],
      revert: 'applies',
    });
    const outcome = await runBisect({ range, env, policy, bootFailure: 'bad', confirm: true });
    expect(outcome.result).toEqual({ kind: 'found', culprit: 'c' });
    const bad = outcome.journal.filter((e) => e.verdict === 'bad');
    expect(bad.length).toBeGreaterThan(0);
    for (const entry of bad) {
      expect(entry.evidence?.badReason).toBe('boot-failed');
      expect(entry.evidence?.skipReason).toBeUndefined();
      expect(entry.evidence?.note).toContain('Kernel panic');
    }
    expect(outcome.confirmations.map((c) => [c.check, c.passed])).toEqual([
      ['culprit-is-bad', true],
      ['parent-is-good', true],
      ['revert-is-good', true],
    ]);
  });

  it('does not calibrate a boot bisect whose bad kernel does not boot: a kernel that boots is good', async () => {
    let calibrated = false;
    const first = scriptedEnvironment({ value: allGood, bootFails: ['c', 'd', 'e'] });
    const outcome = await runBisect({
      range,
      env: first.env,
      calibration: calibration(() => {
        calibrated = true;
      }),
      bootFailure: 'bad',
    });
    expect(calibrated).toBe(false);
    expect(outcome.result).toEqual({ kind: 'found', culprit: 'c' });
    const [bad, good] = outcome.journal;
    expect([bad?.commit, bad?.verdict, bad?.evidence?.badReason]).toEqual([
      'e',
      'bad',
      'boot-failed',
    ]);
    // The good endpoint only has to boot: one oracle run, not the calibration's five.
    expect([good?.commit, good?.verdict, good?.evidence?.samples?.length]).toEqual([
      'g',
      'good',
      1,
    ]);
    expect(good?.evidence?.decision?.method).toBe('boots');

    // Resumed, the journal still says the bad kernel does not boot: it is not booted again.
    const second = scriptedEnvironment({ value: allGood, bootFails: ['c', 'd', 'e'] });
    const resumed = await runBisect({
      range,
      env: second.env,
      calibration: calibration(),
      bootFailure: 'bad',
      journal: outcome.journal.slice(0, 2),
    });
    expect(resumed.result).toEqual(outcome.result);
    expect(second.prepared).not.toContain('e');
    expect(second.prepared).not.toContain('g');
  });

  it('refuses to calibrate on an endpoint that does not boot, unless the bad one in a boot bisect', async () => {
    const badDoesNotBoot = scriptedEnvironment({ value: allGood, bootFails: ['e'] });
    const skip = await runBisect({
      range,
      env: badDoesNotBoot.env,
      calibration: calibration(),
    }).catch((e: unknown) => e);
    expect(skip).toBeInstanceOf(EndpointDidNotBoot);
    expect((skip as EndpointDidNotBoot).endpoint).toBe('bad');
    expect((skip as Error).message).toMatch(/bootFailure "bad"/);
    expect(badDoesNotBoot.held.size).toBe(0);

    const goodDoesNotBoot = scriptedEnvironment({ value: allGood, bootFails: ['g'] });
    const good = await runBisect({
      range,
      env: goodDoesNotBoot.env,
      calibration: calibration(),
      bootFailure: 'bad',
    }).catch((e: unknown) => e);
    expect(good).toBeInstanceOf(EndpointDidNotBoot);
    expect((good as EndpointDidNotBoot).endpoint).toBe('good');
  });
});
