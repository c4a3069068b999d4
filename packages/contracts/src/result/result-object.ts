import {
  type BisectOutcome,
  type BisectRange,
  type BisectResult,
  culpritWarnings,
  type Direction,
  describeEffect,
  type JournalEntry,
  type NotDistinguishable,
  toBisectLog,
} from '@kbisect/core';
import { type Static, Type } from 'typebox';
import { BisectSetup } from './bisect-setup.js';

/**
 * The machine-readable result of a bisect: the last stdout line of `kbisect run --json` and
 * of `kbisect start --wait --json`, the `result` of `GET /v1/bisects/:id` and the webhook
 * body. Its shape is a contract with CI scripts; extend, never rename.
 */
export const ResultObject = Type.Object({
  status: Type.Union([
    Type.Literal('found'),
    Type.Literal('inconclusive'),
    Type.Literal('not-distinguishable'),
    Type.Literal('error'),
  ]),
  culprit: Type.Union([Type.String(), Type.Null()]),
  candidates: Type.Array(Type.String()),
  steps: Type.Integer(),
  oracleRuns: Type.Integer(),
  subject: Type.Union([Type.String(), Type.Null()]),
  log: Type.String({ description: 'the `git bisect log` text; `git bisect replay` accepts it' }),
  result: Type.Optional(Type.Unknown({ description: 'the core result: found/inconclusive/...' })),
  reason: Type.Optional(Type.String()),
  effect: Type.Optional(Type.String()),
  warnings: Type.Optional(
    Type.Array(Type.String(), {
      description:
        'doubts about the culprit to read before trusting it, e.g. its kernel has the same code ' +
        "as its parent's; absent when there are none",
    }),
  ),
  confirmations: Type.Optional(Type.Array(Type.Unknown())),
  journal: Type.Optional(
    Type.Array(Type.Unknown(), {
      description:
        'every verdict with its evidence: build timings and log tails, samples, statistics',
    }),
  ),
  baselines: Type.Optional(Type.Unknown()),
  error: Type.Optional(Type.String()),
  seconds: Type.Optional(
    Type.Object({ build: Type.Number(), test: Type.Number(), total: Type.Number() }),
  ),
  setup: Type.Optional(BisectSetup),
  quantity: Type.Optional(
    Type.Object(
      { metric: Type.String(), unit: Type.Optional(Type.String()) },
      { description: "what the oracle's numbers are, as it says: names the change in reports" },
    ),
  ),
});

export interface ResultObject
  extends Omit<Static<typeof ResultObject>, 'result' | 'confirmations' | 'journal'> {
  result?: BisectResult;
  confirmations?: BisectOutcome['confirmations'];
  journal?: JournalEntry[];
}

/** What the oracle's numbers are, as the oracle says (`Oracle.quantity`), for the effect text. */
export interface Quantity {
  metric: string;
  unit?: string;
}

/** Exit codes of `kbisect run` and `kbisect start --wait` / `kbisect follow`. */
export const EXIT = {
  found: 0,
  error: 1,
  inconclusive: 2,
  notDistinguishable: 3,
  cancelled: 130,
} as const;

export function exitCodeFor(status: ResultObject['status']): number {
  switch (status) {
    case 'found':
      return EXIT.found;
    case 'inconclusive':
      return EXIT.inconclusive;
    case 'not-distinguishable':
      return EXIT.notDistinguishable;
    case 'error':
      return EXIT.error;
  }
}

export function reasonOf(result: BisectResult): string | undefined {
  switch (result.kind) {
    case 'found':
      return undefined;
    case 'inconclusive':
      return result.reason;
    case 'good-is-bad':
      return `the good commit ${result.commit} tests bad: the regression is older than the range`;
    case 'bad-is-good':
      return `the bad commit ${result.commit} tests good: the regression does not reproduce`;
  }
}

/** What a report needs to know about a commit; `CommitInfo` of @kbisect/git fits. */
export interface CommitSubject {
  sha: string;
  subject: string;
}

/** The commits a result object names, whose subjects the caller must look up. */
export function commitsToDescribe(outcome: BisectOutcome): string[] {
  const tested = outcome.journal.map((e) => e.commit);
  const found = outcome.result.kind === 'found' ? [outcome.result.culprit] : [];
  const candidates = outcome.result.kind === 'inconclusive' ? outcome.result.candidates : [];
  return [...new Set([...tested, ...found, ...candidates])];
}

/** The result object of a finished bisect, exactly as `kbisect run --json` prints it. */
export function resultObjectOf(
  outcome: BisectOutcome,
  range: BisectRange,
  commits: readonly CommitSubject[],
  direction: Direction,
  quantity?: Quantity,
): ResultObject {
  const subjects = new Map(commits.map((c) => [c.sha, c.subject]));
  const found = outcome.result.kind === 'found' ? outcome.result.culprit : null;
  const object: ResultObject = {
    status: found ? 'found' : 'inconclusive',
    culprit: found,
    candidates: outcome.result.kind === 'inconclusive' ? outcome.result.candidates : [],
    steps: outcome.totals.steps,
    oracleRuns: outcome.totals.oracleRuns,
    subject: found ? (subjects.get(found) ?? null) : null,
    log: toBisectLog(range, outcome.journal, { subjects, result: outcome.result }),
    result: outcome.result,
    confirmations: outcome.confirmations,
    journal: outcome.journal,
    seconds: {
      build: outcome.totals.buildSeconds,
      test: outcome.totals.testSeconds,
      total: outcome.totals.totalSeconds,
    },
  };
  const reason = reasonOf(outcome.result);
  if (reason) object.reason = reason;
  const effect = effectOf(outcome, range.goods, direction, quantity);
  if (effect) object.effect = effect;
  if (quantity) object.quantity = quantity;
  const warnings = culpritWarnings(outcome, range);
  if (warnings.length) object.warnings = warnings;
  return object;
}

/** The result object of a bisect that stopped on an error. */
export function errorResultObject(error: unknown): ResultObject {
  return {
    status: 'error',
    culprit: null,
    candidates: [],
    steps: 0,
    oracleRuns: 0,
    subject: null,
    log: '',
    error: error instanceof Error ? error.message : String(error),
  };
}

/** Good and bad could not be told apart: the calibration refused to bisect noise. */
export function notDistinguishableResultObject(error: NotDistinguishable): ResultObject {
  return {
    ...errorResultObject(error),
    status: 'not-distinguishable',
    baselines: {
      good: error.good,
      bad: error.bad,
      direction: error.direction,
      pValue: error.pValue,
      effect: error.effect,
    },
    reason: error.reason,
  };
}

/** The culprit's effect against the good baseline, when the oracle measured numbers. */
function effectOf(
  outcome: BisectOutcome,
  goods: readonly string[],
  direction: Direction,
  quantity?: Quantity,
): string | undefined {
  if (outcome.result.kind !== 'found') return undefined;
  const culprit = outcome.result.culprit;
  const samplesOf = (commits: readonly string[]) =>
    outcome.journal
      .filter((e) => commits.includes(e.commit))
      .flatMap((e) => e.evidence?.samples ?? []);
  const good = samplesOf(goods);
  const bad = samplesOf([culprit]);
  if (!good.some((s) => s.value !== undefined) || !bad.some((s) => s.value !== undefined))
    return undefined;
  // The step that named the culprit bad, not a confirmation's re-test of it.
  const decision = outcome.journal.find((e) => e.commit === culprit && e.evidence?.decision)
    ?.evidence?.decision;
  const ratio =
    decision?.rule === 'likelihood-ratio'
      ? (decision.likelihoodRatio as { logBad: number; threshold: number } | undefined)
      : undefined;
  return describeEffect(good, bad, direction, quantity?.unit, quantity?.metric, ratio);
}
