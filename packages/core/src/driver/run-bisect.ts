import { bestCommits } from '../best-commits.js';
import { confirmationRepair } from '../confirmation-repair.js';
import type { DecisionPolicy } from '../decision.js';
import type { Sample } from '../evidence.js';
import type { Journal, JournalEntry } from '../journal.js';
import { nextStep } from '../next-step.js';
import type { BisectRange } from '../range.js';
import type { BisectResult } from '../result.js';
import { estimateRoundsLeft, estimateTests } from '../steps.js';
import { estimateTimeLeft } from '../time-left.js';
import type { BootFailureVerdict } from '../verdict.js';
import { whatIf } from '../what-if.js';
import { bootsIsGoodPolicy } from './boot-bisect-policy.js';
import type { BisectEnvironment, PreparedCommit } from './environment.js';
import { BisectCancelled, EndpointDidNotBoot, OracleFailed } from './errors.js';
import type { BisectEvent } from './events.js';

/**
 * Statistical mode: the endpoints are sampled first and the policy is derived from them.
 * `plan` sees every endpoint's samples so far (each good's, the bad one's) and asks for
 * more runs of each, or returns the policy; it throws (e.g. `NotDistinguishable`) when good
 * and bad cannot be told apart. `statisticalCalibration` is the one the service uses.
 */
export interface Calibration {
  /** Most runs of each endpoint. */
  samplesPerEndpoint: number;
  plan(goods: readonly (readonly Sample[])[], bad: readonly Sample[]): CalibrationPlan;
}

export type CalibrationPlan =
  /** Measure every endpoint until it holds `runs` samples, then ask again. */
  { kind: 'measure'; runs: number } | { kind: 'policy'; policy: DecisionPolicy };

/** A re-test after the range closed: the culprit must really differ from its parent. */
export interface Confirmation {
  check: 'culprit-is-bad' | 'parent-is-good' | 'revert-is-good';
  commit: string;
  passed: boolean;
  /** Why it was not run or why it failed, for the report. */
  note?: string;
  entry?: JournalEntry;
}

export interface RunBisectOptions<P extends PreparedCommit> {
  range: BisectRange;
  env: BisectEnvironment<P>;
  /** Fixed policy (threshold, exit code); ignored when `calibration` is given. */
  policy?: DecisionPolicy;
  calibration?: Calibration;
  /** Verdicts already recorded (a resumed bisect, manual marks). */
  journal?: Journal;
  checkEndpoints?: boolean;
  /** Re-test culprit and parent (and the revert, when the env can) before naming a culprit. */
  confirm?: boolean;
  /**
   * Let the environment build the next step's commits while this one is tested
   * (`BisectEnvironment.speculate`); default true where the environment can.
   */
  speculate?: boolean;
  /**
   * A kernel that does not boot (`OracleFailed` with reason 'boot-failed'): skipped (default),
   * or bad, for a boot bisect. When the bad endpoint itself does not boot, a boot bisect does
   * not calibrate: every kernel that boots is good.
   */
  bootFailure?: BootFailureVerdict;
  signal?: AbortSignal;
  onEvent?: (event: BisectEvent) => void;
  /**
   * Called with each step's new journal entries before the loop goes on: persist them here,
   * together. One entry per step, or a round's entries (several commits tested at once) in
   * their fixed order, so a crash never leaves half a round in the journal.
   */
  onJournalEntries?: (entries: readonly JournalEntry[]) => void | Promise<void>;
}

export interface BisectOutcome {
  result: BisectResult;
  journal: JournalEntry[];
  confirmations: Confirmation[];
  totals: {
    /** Commits given a verdict by the oracle pipeline (endpoints included, once each). */
    steps: number;
    oracleRuns: number;
    buildSeconds: number;
    testSeconds: number;
    totalSeconds: number;
  };
}

const now = () => performance.now() / 1000;

/**
 * The bisect loop, in the manner of syzkaller's runImpl: all I/O goes through `env`, every
 * decision comes from the pure core (`nextStep`) and the policy, and the journal is the
 * only state, so the same journal resumes the same bisect.
 */
export async function runBisect<P extends PreparedCommit>(
  options: RunBisectOptions<P>,
): Promise<BisectOutcome> {
  try {
    return await runBisectLoop(options);
  } catch (error) {
    // Whatever a cancelled step threw (a killed oracle, an aborted build), the cause is the
    // cancel: report it as such so callers do not mistake it for a failure of the commit.
    if (options.signal?.aborted) throw new BisectCancelled();
    throw error;
  }
}

async function runBisectLoop<P extends PreparedCommit>(
  options: RunBisectOptions<P>,
): Promise<BisectOutcome> {
  const { range, env, onEvent = () => {}, bootFailure = 'skip' } = options;
  const signal = options.signal ?? new AbortController().signal;
  const journal: JournalEntry[] = [...(options.journal ?? [])];
  const started = now();
  let oracleRuns = 0;
  let buildSeconds = 0;
  let testSeconds = 0;

  const throwIfCancelled = () => {
    if (signal.aborted) throw new BisectCancelled();
  };

  // Confirmation re-tests the culprit, its parent and the revert.
  const confirmTests = options.confirm ? (env.prepareRevert ? 3 : 2) : 0;
  const secondsLeft = (tests: number, samplesPerTest: number, calibrationRuns = 0) => {
    const endpoints = [range.bad, ...range.goods];
    const estimate = estimateTimeLeft({
      journal,
      tests,
      samplesPerTest,
      endpoints,
      calibrationRuns,
    });
    return estimate === undefined ? {} : { secondsLeft: estimate };
  };

  const record = async (...entries: JournalEntry[]) => {
    journal.push(...entries);
    await options.onJournalEntries?.(entries);
  };

  /** Builds the commit and takes `count` samples; a failed build yields no samples. */
  const prepareAndSample = async <T>(
    commit: string,
    use: (prepared: P, sample: () => Promise<Sample>) => Promise<T>,
    onBuildFailed: (prepared: P) => T,
    prepare: () => Promise<P> = () => env.prepare(commit, signal),
  ): Promise<T> => {
    throwIfCancelled();
    const prepared = await prepare();
    buildSeconds += prepared.build.seconds;
    onEvent({ type: 'build', commit, ok: prepared.build.ok, seconds: prepared.build.seconds });
    try {
      throwIfCancelled();
      if (!prepared.build.ok) return onBuildFailed(prepared);
      let index = 0;
      const sample = async () => {
        throwIfCancelled();
        const t0 = now();
        const s = await env.measure(prepared, signal);
        testSeconds += now() - t0;
        oracleRuns += 1;
        onEvent({
          type: 'sample',
          commit,
          index: index++,
          value: s.value,
          hang: s.hang,
          exitCode: s.exitCode,
        });
        return s;
      };
      return await use(prepared, sample);
    } finally {
      await env.release(prepared);
    }
  };

  const buildFailedEntry = (prepared: P): JournalEntry => ({
    commit: prepared.commit,
    verdict: 'skip',
    source: 'oracle',
    at: new Date().toISOString(),
    evidence: {
      build: prepared.build,
      skipReason: prepared.build.timedOut ? 'build-timeout' : 'build-failed',
    },
  });

  /**
   * A commit the oracle could not measure: skipped with the oracle's output (or the console
   * tail of a kernel that did not boot) as the note, or bad when a boot bisect says so.
   */
  const oracleFailedEntry = (
    commit: string,
    prepared: P,
    samples: Sample[],
    failure: OracleFailed,
    testSeconds: number,
  ): JournalEntry => {
    const badBoot = failure.reason === 'boot-failed' && bootFailure === 'bad';
    return {
      commit,
      verdict: badBoot ? 'bad' : 'skip',
      source: 'oracle',
      at: new Date().toISOString(),
      evidence: {
        build: prepared.build,
        samples,
        ...(badBoot ? { badReason: 'boot-failed' } : { skipReason: failure.reason }),
        note: failure.outputTail ? `${failure.message}\n${failure.outputTail}` : failure.message,
        testSeconds,
      },
    };
  };

  /** One commit through build → samples → policy → journal entry. */
  const evaluate = async (
    commit: string,
    policy: DecisionPolicy,
    prepare?: () => Promise<P>,
  ): Promise<JournalEntry> =>
    prepareAndSample(
      commit,
      async (prepared, sample) => {
        const samples: Sample[] = [];
        const t0 = now();
        try {
          for (let i = 0; i < policy.initialSamples; i++) samples.push(await sample());
          for (;;) {
            const decision = policy.decide(samples);
            if (decision.kind === 'verdict') {
              return {
                commit,
                verdict: decision.verdict,
                source: 'oracle',
                at: new Date().toISOString(),
                evidence: {
                  build: prepared.build,
                  samples,
                  decision: decision.evidence,
                  testSeconds: now() - t0,
                  ...(decision.skipReason ? { skipReason: decision.skipReason } : {}),
                },
              } satisfies JournalEntry;
            }
            for (let i = 0; i < decision.count; i++) samples.push(await sample());
          }
        } catch (error) {
          if (!(error instanceof OracleFailed)) throw error;
          return oracleFailedEntry(commit, prepared, samples, error, now() - t0);
        }
      },
      buildFailedEntry,
      prepare,
    );

  const policy = await resolvePolicy();

  /**
   * `prepare` for a bisect step that hands the environment the two commits the next step may
   * pick as soon as this commit's build is asked for: their builds overlap this commit's
   * build, where the build capacity allows, and its test.
   */
  function buildAhead(commit: string): (() => Promise<P>) | undefined {
    const { speculate } = env;
    if (!speculate || options.speculate === false) return undefined;
    return async () => {
      const preparing = env.prepare(commit, signal);
      const next = whatIf(range, journal, commit, {
        checkEndpoints: options.checkEndpoints ?? true,
      });
      const commits = [next.ifGood, next.ifBad].flatMap((s) =>
        s.kind === 'test' ? [s.commit] : [],
      );
      if (commits.length > 0) speculate.call(env, commit, [...new Set(commits)]);
      return preparing;
    };
  }

  async function resolvePolicy(): Promise<DecisionPolicy> {
    const { calibration } = options;
    if (!calibration) {
      if (!options.policy) throw new Error('runBisect needs a policy or a calibration');
      return options.policy;
    }
    const endpoints = [range.bad, ...range.goods];
    const bootFailedBad = () =>
      journal.some((e) => e.commit === range.bad && e.verdict === 'bad' && e.evidence?.badReason);
    // Every batch of an endpoint's runs is its own journal entry, so a resumed bisect
    // calibrates from the samples already in the journal and measures only what the plan
    // still asks for: same journal, same baselines, same verdicts.
    const samplesOf = (commit: string) =>
      journal.filter((e) => e.commit === commit).flatMap((e) => e.evidence?.samples ?? []);
    for (;;) {
      // A bad kernel that does not boot leaves nothing to calibrate the goods against: the
      // loop's endpoint check tests that they boot, with one oracle run each.
      if (bootFailedBad()) return bootsIsGoodPolicy();
      const plan = calibration.plan(range.goods.map(samplesOf), samplesOf(range.bad));
      if (plan.kind === 'policy') return plan.policy;
      const due = endpoints.filter((commit) => plan.runs > samplesOf(commit).length);
      const slots = await testSlots();
      // What is left of this look, side by side on the slots: the time left counts it.
      const lookRunsLeft = () =>
        Math.ceil(
          endpoints.reduce((sum, c) => sum + Math.max(0, plan.runs - samplesOf(c).length), 0) /
            Math.min(slots, endpoints.length),
        );
      if (slots > 1 && due.length > 1) {
        // On several slots the endpoints are measured side by side, each batch recorded
        // together in the endpoints' order, as a round is.
        for (let i = 0; i < due.length; i += slots) {
          const batch = due.slice(i, i + slots);
          const measured = await allInOrder(
            batch.map((commit) =>
              measureEndpoint(commit, plan.runs - samplesOf(commit).length, lookRunsLeft()),
            ),
          );
          const first = journal.length;
          const entries = measured.map((entry) => ({ ...entry, round: first }));
          await record(...entries);
          for (const entry of entries) {
            onEvent({ type: 'verdict', entry, remaining: range.commits.length });
          }
        }
        continue;
      }
      for (const commit of endpoints) {
        if (bootFailedBad()) break;
        const runs = plan.runs - samplesOf(commit).length;
        if (runs <= 0) continue;
        const entry = await measureEndpoint(commit, runs, lookRunsLeft());
        await record(entry);
        onEvent({ type: 'verdict', entry, remaining: range.commits.length });
      }
    }

    /** One batch of an endpoint's calibration runs, as a journal entry not yet recorded. */
    async function measureEndpoint(
      commit: string,
      runs: number,
      lookRunsLeft: number,
    ): Promise<JournalEntry> {
      const phase = 'calibrate' as const;
      onEvent({
        type: 'step',
        commit,
        phase,
        remaining: range.commits.length,
        stepsLeft: 0,
        // This look's runs still due, then the bisect that follows, its runs priced as the
        // policy's default first look.
        ...secondsLeft(estimateTests(range.commits.length) + confirmTests, 3, lookRunsLeft),
      });
      const entry = await prepareAndSample(
        commit,
        async (prepared, sample) => {
          const samples: Sample[] = [];
          const t0 = now();
          try {
            for (let i = 0; i < runs; i++) samples.push(await sample());
          } catch (error) {
            if (!(error instanceof OracleFailed) || error.reason !== 'boot-failed') throw error;
            const endpoint = commit === range.bad ? 'bad' : 'good';
            if (endpoint === 'good' || bootFailure !== 'bad') {
              throw new EndpointDidNotBoot(commit, endpoint, error);
            }
            return oracleFailedEntry(commit, prepared, samples, error, now() - t0);
          }
          return {
            commit,
            verdict: commit === range.bad ? 'bad' : 'good',
            source: 'oracle',
            at: new Date().toISOString(),
            evidence: { build: prepared.build, samples, testSeconds: now() - t0 },
          } satisfies JournalEntry;
        },
        buildFailedEntry,
      );
      if (entry.verdict === 'skip') {
        throw new EndpointUnbuildable(commit, entry.evidence?.build?.logTail);
      }
      return entry;
    }
  }

  for (;;) {
    throwIfCancelled();
    const step = nextStep(range, journal, { checkEndpoints: options.checkEndpoints ?? true });
    if (step.kind === 'done') {
      let confirmations: Confirmation[] = [];
      if (options.confirm && step.result.kind === 'found') {
        const { culprit } = step.result;
        const retests = await retestCulpritAndParent(culprit);
        // A re-test that overturned one verdict corrects it in the journal, and the bisect
        // goes on from there to a culprit that must pass its own confirmation.
        const repair = confirmationRepair(range, journal, retests);
        if (repair) {
          await record(repair);
          onEvent({ type: 'verdict', entry: repair, remaining: 1 });
          continue;
        }
        confirmations = [...retests, ...(await retestRevert(culprit))];
      }
      const failed = confirmations.find((c) => !c.passed && c.entry);
      const result: BisectResult = failed
        ? {
            kind: 'inconclusive',
            candidates: step.result.kind === 'found' ? [step.result.culprit] : [],
            reason: `confirmation failed: ${failed.check} (${failed.note ?? failed.entry?.verdict})`,
          }
        : step.result;
      onEvent({ type: 'done', result });
      return {
        result,
        journal,
        confirmations,
        totals: {
          // Commits, not entries: an endpoint's calibration may take several entries.
          steps: new Set(journal.filter((e) => e.source === 'oracle').map((e) => e.commit)).size,
          oracleRuns,
          buildSeconds,
          testSeconds,
          totalSeconds: now() - started,
        },
      };
    }
    const slots = await testSlots();
    if (slots > 1) {
      const checkEndpoints = options.checkEndpoints ?? true;
      const round = bestCommits(range, journal, slots, { checkEndpoints });
      if (round.length > 1) {
        await testRound(round, step);
        continue;
      }
    }
    onEvent({
      type: 'step',
      commit: step.commit,
      phase: step.phase,
      remaining: step.remaining,
      stepsLeft: step.stepsLeft,
      ...secondsLeft(step.stepsLeft + 1 + confirmTests, policy.initialSamples),
    });
    const entry = await evaluate(step.commit, policy, buildAhead(step.commit));
    await record(entry);
    onEvent({ type: 'verdict', entry, remaining: step.remaining });
  }

  /** Commits the environment can test at once now: 1 unless it says more. */
  async function testSlots(): Promise<number> {
    const slots = (await env.testSlots?.()) ?? 1;
    return Number.isInteger(slots) && slots > 1 ? slots : 1;
  }

  /**
   * Several commits tested at once, one per slot (no builds ahead: the round's own builds
   * fill the build capacity). The entries are recorded together in the round's order once
   * all are in, so the journal is the same whatever finished first, and a crash mid-round
   * leaves no part of it: the resumed loop picks the same commits again. A step that throws
   * lets the others end (each releases what it prepared) and the first error in order is
   * thrown.
   */
  async function testRound(
    commits: string[],
    step: { phase: 'endpoint' | 'bisect'; remaining: number },
  ) {
    const k = commits.length;
    const roundsLeft = estimateRoundsLeft(step.remaining, k);
    onEvent({
      type: 'step',
      commit: commits[0] as string,
      commits,
      phase: step.phase,
      remaining: step.remaining,
      stepsLeft: roundsLeft,
      // Tests of a round run side by side: a round costs about one test.
      ...secondsLeft(roundsLeft + 1 + confirmTests, policy.initialSamples),
    });
    const tested = await allInOrder(commits.map((commit) => evaluate(commit, policy)));
    const first = journal.length;
    const entries = tested.map((entry) => ({ ...entry, round: first }));
    await record(...entries);
    for (const entry of entries) onEvent({ type: 'verdict', entry, remaining: step.remaining });
  }

  /**
   * Fresh samples of the culprit and its first parent must differ the same way the
   * bisect said, as KernelCI re-checks before reporting. Only the parent inside the graph
   * we know is re-tested; a culprit whose parent is a good endpoint re-tests that endpoint.
   */
  async function retestCulpritAndParent(culprit: string): Promise<Confirmation[]> {
    const node = range.commits.find((c) => c.sha === culprit);
    const parent = node?.parents[0];
    const checks: Confirmation[] = [];
    const retest = async (
      check: Confirmation['check'],
      commit: string,
      expect: 'good' | 'bad',
    ): Promise<Confirmation> => {
      onEvent({
        type: 'step',
        commit,
        phase: 'confirm',
        remaining: 1,
        stepsLeft: 0,
        ...secondsLeft(confirmTests - checks.length, policy.initialSamples),
      });
      const entry = await evaluate(commit, policy);
      return {
        check,
        commit,
        passed: entry.verdict === expect,
        entry,
        ...(entry.verdict === expect
          ? {}
          : { note: `expected ${expect}, measured ${entry.verdict}` }),
      };
    };
    const culpritAndParent = [
      () => retest('culprit-is-bad', culprit, 'bad'),
      ...(parent ? [() => retest('parent-is-good', parent, 'good')] : []),
    ];
    // On several slots the culprit and its parent are tested side by side.
    if ((await testSlots()) > 1)
      checks.push(...(await allInOrder(culpritAndParent.map((t) => t()))));
    else for (const test of culpritAndParent) checks.push(await test());
    return checks;
  }

  /** The bad commit with the culprit reverted must measure good, where the env can revert. */
  async function retestRevert(culprit: string): Promise<Confirmation[]> {
    const checks: Confirmation[] = [];
    const { prepareRevert } = env;
    if (prepareRevert && culprit !== range.bad) {
      onEvent({
        type: 'step',
        commit: range.bad,
        phase: 'confirm',
        remaining: 1,
        stepsLeft: 0,
        ...secondsLeft(1, policy.initialSamples),
      });
      const prepared = await prepareRevert(range.bad, culprit, signal);
      if (!prepared) {
        checks.push({
          check: 'revert-is-good',
          commit: range.bad,
          passed: false,
          note: 'the revert does not apply cleanly on the bad commit; not tested',
        });
      } else {
        const entry = await evaluate(range.bad, policy, async () => prepared);
        checks.push({
          check: 'revert-is-good',
          commit: range.bad,
          passed: entry.verdict === 'good',
          entry,
          note:
            entry.verdict === 'good'
              ? 'bad with the culprit reverted measures good'
              : `bad with the culprit reverted measured ${entry.verdict}`,
        });
      }
    }
    return checks;
  }
}

/**
 * The results of work run side by side, in the order it was started, once all of it ended
 * (each step releases what it prepared): the first failure in that order is thrown.
 */
async function allInOrder<T>(work: readonly Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(work);
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

/** An endpoint must build: without it there is nothing to calibrate against. */
export class EndpointUnbuildable extends Error {
  override readonly name = 'EndpointUnbuildable';
  constructor(
    readonly commit: string,
    readonly logTail?: string,
  ) {
    super(
      `endpoint ${commit} does not build, so good and bad cannot be calibrated; ` +
        'choose endpoints that build (check --build)',
    );
  }
}
