import { describe, expect, it } from 'vitest';
import type { Sample } from '../evidence.js';
import type { JournalEntry } from '../journal.js';
import { thresholdPolicy } from '../stats/threshold-policy.js';
import { estimateBisectSteps, estimateRoundsLeft, roundsFor } from '../steps.js';
import { linearRange } from '../testing/tiny-range.js';
import type { BisectEnvironment, PreparedCommit } from './environment.js';
import type { BisectEvent } from './events.js';
import { runBisect } from './run-bisect.js';
import { statisticalCalibration } from './statistical-calibration.js';

const policy = thresholdPolicy({ threshold: 50, direction: 'higher-is-better' });
const N = 120;
const range = linearRange(N);
const CULPRIT = 77;
const indexOf = (commit: string) => Number(commit.slice(1));

interface Lab {
  slots: number;
  /** How long a commit's test takes: the order in which a round's tests finish. */
  delayMs: (commit: string) => number;
  /** A commit whose test throws (a lab that broke, not an oracle verdict). */
  breaks?: string;
}

/** k labs in memory: a commit measures 100 before the culprit and 10 from it on. */
function labs({ slots, delayMs, breaks }: Lab) {
  const held = new Set<string>();
  const finished: string[] = [];
  /** When each measurement ran, in the order they started. */
  const spans: { commit: string; start: number; end: number }[] = [];
  let running = 0;
  let mostAtOnce = 0;
  const env: BisectEnvironment<PreparedCommit> = {
    testSlots: () => slots,
    async prepare(commit) {
      held.add(commit);
      return { commit, build: { ok: true, seconds: 1 } };
    },
    async measure(p): Promise<Sample> {
      running++;
      mostAtOnce = Math.max(mostAtOnce, running);
      const span = { commit: p.commit, start: performance.now(), end: Number.POSITIVE_INFINITY };
      spans.push(span);
      await new Promise((r) => setTimeout(r, delayMs(p.commit)));
      span.end = performance.now();
      running--;
      if (p.commit === breaks) throw new Error(`lab of ${p.commit} broke`);
      finished.push(p.commit);
      return { value: indexOf(p.commit) >= CULPRIT ? 10 : 100, seconds: 0.01 };
    },
    async release(p) {
      if (!held.delete(p.commit)) throw new Error(`released twice: ${p.commit}`);
    },
  };
  return { env, held, finished, spans, mostAtOnce: () => mostAtOnce };
}

/** What the journal decides with: commit, verdict and round of each entry. */
const decisions = (journal: readonly JournalEntry[]) =>
  journal.map((e) => [e.commit, e.verdict, e.round]);

describe('runBisect with several test slots', () => {
  it('records each round in a fixed order, whatever order its tests finish in', async () => {
    // The same bisect on labs where low commits finish first, then where high ones do.
    const early = labs({ slots: 3, delayMs: (c) => indexOf(c) % 7 });
    const late = labs({ slots: 3, delayMs: (c) => 7 - (indexOf(c) % 7) });
    const a = await runBisect({ range, env: early.env, policy });
    const b = await runBisect({ range, env: late.env, policy });
    expect(a.result).toEqual({ kind: 'found', culprit: range.commits[N - CULPRIT]?.sha });
    expect(decisions(b.journal)).toEqual(decisions(a.journal));
    // The finish orders did differ, so the fixed order is the loop's doing.
    expect(early.finished).not.toEqual(late.finished);
    expect(early.mostAtOnce()).toBe(3);
    expect(early.held.size + late.held.size).toBe(0);
  });

  it('tests k commits per round and needs about log_(k+1) N rounds', async () => {
    for (const k of [2, 3]) {
      const { env } = labs({ slots: k, delayMs: () => 0 });
      const { journal } = await runBisect({ range, env, policy });
      const rounds = new Map<number, number>();
      for (const [i, e] of journal.entries())
        rounds.set(e.round ?? i, (rounds.get(e.round ?? i) ?? 0) + 1);
      // The round of an entry is the index of its round's first entry.
      for (const [first, size] of rounds) {
        expect(
          journal.slice(first, first + size).every((e) => e.round === first || size === 1),
        ).toBe(true);
      }
      expect(Math.max(...rounds.values())).toBe(k);
      // The endpoints' round included: ⌈log_(k+1) N⌉ + 1 at most.
      expect(rounds.size).toBeLessThanOrEqual(roundsFor(N, k) + 1);
    }
  });

  it('hands a whole round to be persisted at once, and a resumed bisect ends with the same journal', async () => {
    const batches: (readonly JournalEntry[])[] = [];
    const full = await runBisect({
      range,
      env: labs({ slots: 3, delayMs: (c) => indexOf(c) % 5 }).env,
      policy,
      onJournalEntries: (entries) => void batches.push(entries),
    });
    expect(batches.map((b) => b.length)).toEqual(
      batches.map((b) => (b[0]?.round === undefined ? 1 : 3)),
    );
    expect(batches.flat()).toEqual(full.journal);
    // A crash after the second round: the next process starts from what was persisted.
    const persisted = batches.slice(0, 2).flat();
    const resumed = await runBisect({
      range,
      env: labs({ slots: 3, delayMs: (c) => 5 - (indexOf(c) % 5) }).env,
      policy,
      journal: persisted,
    });
    expect(decisions(resumed.journal)).toEqual(decisions(full.journal));
  });

  it('records nothing of a round whose test threw, after every test of it ended and released', async () => {
    const first = labs({ slots: 3, delayMs: () => 0 }).env;
    const persisted: JournalEntry[] = [];
    await runBisect({
      range,
      env: first,
      policy,
      onJournalEntries: (e) => void persisted.push(...e),
    });
    // The second round's middle commit breaks its lab.
    const breaks = persisted.find((e) => e.round === 3)?.commit;
    const lab = labs({ slots: 3, delayMs: (c) => (c === breaks ? 0 : 20), breaks });
    const recorded: JournalEntry[] = [];
    await expect(
      runBisect({ range, env: lab.env, policy, onJournalEntries: (e) => void recorded.push(...e) }),
    ).rejects.toThrow(/broke/);
    expect(recorded.map((e) => e.commit)).toEqual(persisted.slice(0, 3).map((e) => e.commit));
    expect(lab.held.size).toBe(0);
  });

  it('says which commits a round tests and how many rounds are left', async () => {
    const events: BisectEvent[] = [];
    await runBisect({
      range,
      env: labs({ slots: 3, delayMs: () => 0 }).env,
      policy,
      onEvent: (e) => events.push(e),
    });
    const steps = events.filter((e) => e.type === 'step');
    const first = steps[0];
    expect(first?.commits).toHaveLength(3);
    expect(first?.phase).toBe('endpoint');
    expect(first?.stepsLeft).toBe(roundsFor(N, 3) - 1);
    const left = steps.map((s) => s.stepsLeft);
    expect(left).toEqual([...left].sort((x, y) => y - x));
  });

  it('confirms the culprit and its parent side by side', async () => {
    const lab = labs({ slots: 2, delayMs: () => 10 });
    const outcome = await runBisect({ range, env: lab.env, policy, confirm: true });
    const culprit = range.commits[N - CULPRIT]?.sha as string;
    expect(outcome.result).toEqual({ kind: 'found', culprit });
    expect(outcome.confirmations.map((c) => [c.check, c.passed])).toEqual([
      ['culprit-is-bad', true],
      ['parent-is-good', true],
    ]);
    const [a, b] = lab.spans.slice(-2);
    expect(a && b && b.start < a.end).toBe(true);
  });

  it('calibrates good and bad side by side, recording each look in the endpoints order', async () => {
    // Slightly noisy values, so the calibration has numbers to spread.
    const noisy = labs({ slots: 2, delayMs: (c) => (c === range.bad ? 6 : 1) });
    const measure = noisy.env.measure.bind(noisy.env);
    let call = 0;
    noisy.env.measure = async (p, signal) => {
      const s = await measure(p, signal);
      return { ...s, value: (s.value ?? 0) * (1 + ((call++ % 5) - 2) / 100) };
    };
    const calibration = statisticalCalibration({
      samplesPerEndpoint: 12,
      calibrate: { direction: 'higher-is-better' },
    });
    const outcome = await runBisect({ range, env: noisy.env, calibration });
    expect(outcome.result).toEqual({ kind: 'found', culprit: range.commits[N - CULPRIT]?.sha });
    const looks = outcome.journal.filter(
      (e) => e.commit === range.bad || e.commit === range.goods[0],
    );
    // The good endpoint finished first, yet bad comes first, as in a calibration on one slot.
    expect(looks.slice(0, 2).map((e) => [e.commit, e.round])).toEqual([
      [range.bad, 0],
      [range.goods[0], 0],
    ]);
    expect(noisy.mostAtOnce()).toBe(2);
  });

  it('with one slot tests one commit per step, exactly as without slots', async () => {
    const one = await runBisect({ range, env: labs({ slots: 1, delayMs: () => 0 }).env, policy });
    const { testSlots: _, ...plain } = labs({ slots: 1, delayMs: () => 0 }).env;
    const none = await runBisect({ range, env: plain, policy });
    expect(decisions(one.journal)).toEqual(decisions(none.journal));
    expect(one.journal.every((e) => e.round === undefined)).toBe(true);
  });
});

describe('estimateRoundsLeft', () => {
  it("is git's estimate for one slot and ⌈log_(k+1) N⌉ - 1 for k", () => {
    for (const n of [1, 2, 3, 10, 100, 1000])
      expect(estimateRoundsLeft(n, 1)).toBe(estimateBisectSteps(n));
    expect(roundsFor(200, 1)).toBe(8);
    expect(roundsFor(200, 3)).toBe(4);
    expect(roundsFor(64, 3)).toBe(3);
    expect(roundsFor(65, 3)).toBe(4);
    expect(estimateRoundsLeft(200, 3)).toBe(3);
    expect(estimateRoundsLeft(2, 3)).toBe(0);
  });
});
