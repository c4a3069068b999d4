import type { CommitDescription, ResultObject } from '@kbisect/contracts';
import type {
  Confirmation,
  DecisionEvidence,
  JournalEntry,
  RankTestEvidence,
  Sample,
  Verdict,
} from '@kbisect/core';
import { bootFailureText, measuredValues, measurement } from './format.js';
import type { BisectReportInput } from './report-input.js';
import { labsOf, setupLines } from './setup-lines.js';

/** One line of the tested-commits table: a verdict of the bisect or of a confirmation. */
export interface TestedCommit {
  /** 1-based position in the journal; confirmations follow the bisect's own verdicts. */
  index: number;
  sha: string;
  verdict: Verdict;
  /** The re-test this verdict belongs to, for confirmations. */
  check?: Confirmation['check'];
  measured: string;
  buildSeconds?: number;
  testSeconds?: number;
  summary?: string;
  /** The lab(s) its samples ran on, when a lab ran them. */
  lab?: string;
  skipped: boolean;
  subject?: string;
}

/** Medians of two commits side by side, as LKP compares a commit with its parent. */
export interface Comparison {
  before: { sha: string; role: 'parent' | 'good'; values: number[]; samples: Sample[] };
  after: { sha: string; values: number[]; samples: Sample[] };
}

/** What every report format derives from the input, computed once and the same way. */
export interface BisectFacts {
  input: BisectReportInput;
  result: ResultObject;
  commit(sha: string): CommitDescription | undefined;
  endpoints?: { bad: string; goods: string[] };
  /** The statistical decision that made the culprit bad, when the oracle measured numbers. */
  culpritDecision?: RankTestEvidence;
  /** The decision on the culprit in words, for every oracle (exit code, threshold...). */
  culpritSummary?: string;
  /** Why the culprit is bad in a boot bisect: its kernel did not boot ("boot failed: ..."). */
  culpritBootFailure?: string;
  comparison?: Comparison;
  /** Doubts about the culprit (e.g. its kernel has its parent's code); empty without one. */
  culpritWarnings: string[];
  tested: TestedCommit[];
  /** What ran where, as "name: value" pairs (setupLines). */
  setup: [string, string][];
  finishedAt: Date;
}

const isRankTest = (d: DecisionEvidence | undefined): d is RankTestEvidence =>
  d?.method === 'rank-test' && typeof (d as Partial<RankTestEvidence>).medians === 'object';

/**
 * The endpoints as `git bisect log` names them in its header ("# bad: [sha]", "# good: [sha]"
 * before `git bisect start`): the result object carries them nowhere else.
 */
export function endpointsFromLog(log: string): { bad: string; goods: string[] } | undefined {
  let bad: string | undefined;
  const goods: string[] = [];
  for (const line of log.split('\n')) {
    if (line.startsWith('git bisect start')) break;
    const m = /^# (bad|good): \[([0-9a-f]{4,64})\]/.exec(line);
    if (m?.[1] === 'bad') bad = m[2];
    else if (m?.[1] === 'good' && m[2]) goods.push(m[2]);
  }
  return bad && goods.length ? { bad, goods } : undefined;
}

export function bisectFacts(input: BisectReportInput): BisectFacts {
  const { result } = input;
  const byShaInfo = new Map((input.commits ?? []).map((c) => [c.sha, c]));
  const journal = result.journal ?? [];
  const confirmations = result.confirmations ?? [];
  const entries: { entry: JournalEntry; check?: Confirmation['check'] }[] = [
    ...journal.map((entry) => ({ entry })),
    ...confirmations.flatMap((c) => (c.entry ? [{ entry: c.entry, check: c.check }] : [])),
  ];
  const tested = entries.map(({ entry, check }, i): TestedCommit => {
    const ev = entry.evidence;
    const row: TestedCommit = {
      index: i + 1,
      sha: entry.commit,
      verdict: entry.verdict,
      measured: measurement(entry),
      skipped: entry.verdict === 'skip',
    };
    if (check) row.check = check;
    if (ev?.build) row.buildSeconds = ev.build.seconds;
    if (ev?.testSeconds !== undefined) row.testSeconds = ev.testSeconds;
    if (ev?.decision?.summary) row.summary = ev.decision.summary;
    const lab = labsOf(entry);
    if (lab) row.lab = lab;
    const subject =
      byShaInfo.get(entry.commit)?.subject ??
      (entry.commit === result.culprit ? (result.subject ?? undefined) : undefined);
    if (subject !== undefined) row.subject = subject;
    return row;
  });

  const facts: BisectFacts = {
    input,
    result,
    commit: (sha) => byShaInfo.get(sha),
    culpritWarnings:
      result.status === 'found' || result.status === 'inconclusive' ? (result.warnings ?? []) : [],
    tested,
    setup: [],
    finishedAt: finishedAt(
      input,
      entries.map((e) => e.entry),
    ),
  };
  const endpoints = endpointsFromLog(result.log);
  if (endpoints) facts.endpoints = endpoints;
  facts.setup = setupLines(
    result,
    entries.map((e) => e.entry),
    facts.commit,
    endpoints,
  );

  const culprit = result.status === 'found' ? result.culprit : null;
  if (culprit) {
    // The bisect's own verdict named the culprit; a confirmation only re-checks it.
    const bad = journal.filter((e) => e.commit === culprit && e.verdict === 'bad');
    const decisions = bad.map((e) => e.evidence?.decision);
    const decision = decisions.filter(isRankTest).at(-1);
    if (decision) facts.culpritDecision = decision;
    // A kernel that does not boot has no decision: the boot failure is what made it bad.
    const last = bad.at(-1)?.evidence;
    const boot = last ? bootFailureText(last) : undefined;
    if (boot) facts.culpritBootFailure = boot;
    const summary = decisions.at(-1)?.summary ?? boot;
    if (summary) facts.culpritSummary = summary;
    const comparison = compare(culprit, entries, confirmations, endpoints);
    if (comparison) facts.comparison = comparison;
  }
  return facts;
}

/** The culprit against its parent when the parent was measured, else against good. */
function compare(
  culprit: string,
  entries: readonly { entry: JournalEntry }[],
  confirmations: readonly Confirmation[],
  endpoints: { goods: string[] } | undefined,
): Comparison | undefined {
  const samplesOf = (shas: readonly string[]) =>
    entries
      .filter(({ entry }) => shas.includes(entry.commit))
      .flatMap(({ entry }) => entry.evidence?.samples ?? []);
  const side = (sha: string, shas: readonly string[]) => {
    const samples = samplesOf(shas);
    return { sha, samples, values: measuredValues(samples) };
  };
  const after = side(culprit, [culprit]);
  if (after.values.length === 0) return undefined;
  const parent = confirmations.find((c) => c.check === 'parent-is-good')?.commit;
  const parentSide = parent ? side(parent, [parent]) : undefined;
  if (parentSide?.values.length) return { before: { ...parentSide, role: 'parent' }, after };
  const good = endpoints?.goods[0];
  if (!good || !endpoints) return undefined;
  const goodSide = side(good, endpoints.goods);
  if (goodSide.values.length === 0) return undefined;
  return { before: { ...goodSide, role: 'good' }, after };
}

function finishedAt(input: BisectReportInput, entries: readonly JournalEntry[]): Date {
  const given = input.finishedAt ? new Date(input.finishedAt) : undefined;
  if (given && !Number.isNaN(given.getTime())) return given;
  const times = entries
    .map((e) => (e.at ? Date.parse(e.at) : Number.NaN))
    .filter((t) => !Number.isNaN(t));
  return times.length ? new Date(Math.max(...times)) : new Date();
}
