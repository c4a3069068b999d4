import { describe, expect, it } from 'vitest';
import type { Sample } from '../evidence.js';
import type { JournalEntry } from '../journal.js';
import { calibrate } from '../stats/calibrate.js';
import { NotDistinguishable } from '../stats/errors.js';
import { statisticalPolicy } from '../stats/statistical-policy.js';
import { thresholdPolicy } from '../stats/threshold-policy.js';
import { tinyRange } from '../testing/tiny-range.js';
import type { BisectEnvironment, PreparedCommit } from './environment.js';
import { BisectCancelled, OracleFailed } from './errors.js';
import { EndpointUnbuildable, runBisect } from './run-bisect.js';

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

  it('turns a confirmation that measures differently into an inconclusive result with the reason', async () => {
    // The culprit's second measurement is good again: a flaky first verdict, not a regression.
    const flaky = (commit: string, call: number) =>
      commit === 'c' && call > 0 ? 100 : regressionFrom('c')(commit);
    const { env } = scriptedEnvironment({ value: flaky });
    const outcome = await runBisect({ range, env, policy, confirm: true });
    expect(outcome.result.kind).toBe('inconclusive');
    expect(outcome.result.kind === 'inconclusive' && outcome.result.reason).toMatch(
      /culprit-is-bad/,
    );
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
      onJournalEntry: (e) => void persisted.push(e),
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

  it('calibrates on the endpoints, then recalibrates from the journal when resumed', async () => {
    const noisy = (commit: string, call: number) =>
      regressionFrom('c')(commit) * (1 + ((call % 5) - 2) / 100);
    const calibration = {
      samplesPerEndpoint: 5,
      calibrate: (good: readonly Sample[], bad: readonly Sample[]) =>
        statisticalPolicy(calibrate(good, bad, { direction: 'higher-is-better' })),
    };
    const first = scriptedEnvironment({ value: noisy });
    const outcome = await runBisect({ range, env: first.env, calibration });
    expect(outcome.result).toEqual({ kind: 'found', culprit: 'c' });
    expect(outcome.journal.slice(0, 2).map((e) => [e.commit, e.evidence?.samples?.length])).toEqual(
      [
        ['e', 5],
        ['g', 5],
      ],
    );
    const second = scriptedEnvironment({ value: noisy });
    await runBisect({ range, env: second.env, calibration, journal: outcome.journal.slice(0, 3) });
    expect(second.prepared).not.toContain('e');
    expect(second.prepared).not.toContain('g');
  });

  it('stops with NotDistinguishable when good and bad measure alike', async () => {
    const { env } = scriptedEnvironment({ value: (_c, call) => 100 + (call % 3) });
    const calibration = {
      samplesPerEndpoint: 5,
      calibrate: (good: readonly Sample[], bad: readonly Sample[]) =>
        statisticalPolicy(calibrate(good, bad, { direction: 'higher-is-better' })),
    };
    await expect(runBisect({ range, env, calibration })).rejects.toBeInstanceOf(NotDistinguishable);
  });

  it('refuses to calibrate on an endpoint that does not build', async () => {
    const { env } = scriptedEnvironment({ value: regressionFrom('c'), unbuildable: ['e'] });
    const calibration = { samplesPerEndpoint: 3, calibrate: () => policy };
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
