import { type Confirmation, formatP, formatPercent, formatRatio, formatValue } from '@kbisect/core';
import { type BisectFacts, bisectFacts } from './bisect-facts.js';
import { endpointBaselines } from './endpoint-baselines.js';
import { changeLines, comparisonTable } from './evidence-lines.js';
import { columns, formatDuration, shortSha } from './format.js';
import type { BisectReportInput } from './report-input.js';

/**
 * The report a kernel developer sends to the list, laid out like LKP's (0-day) regression
 * mails: what regressed by how much on which commit first, then "Details are as below" with
 * the parent/culprit comparison, every tested commit and the `git bisect log` to replay.
 * Plain UTF-8 text (the figures use → and ±), for a mail client's fixed-width font.
 */
export function textReport(input: BisectReportInput): string {
  const facts = bisectFacts(input);
  switch (facts.result.status) {
    case 'found':
      return finish(foundReport(facts));
    case 'inconclusive':
      return finish(inconclusiveReport(facts));
    case 'not-distinguishable':
      return finish(notDistinguishableReport(facts));
    case 'error':
      return finish([
        `kbisect stopped on an error: ${facts.result.error ?? facts.result.reason ?? 'unknown error'}`,
        ...urlLine(facts),
      ]);
  }
}

// Optional sections (url, setup, comparison) each end in a blank line; when one is left out
// its neighbours' blank lines meet, and a mail reads better with single blank lines. The log
// has no blank lines of its own (one line per verdict), so it is not changed by this.
const finish = (lines: string[]) => `${lines.join('\n').replace(/\n{3,}/g, '\n\n')}\n`;

const DETAILS_RULE =
  '-------------------------------------------------------------------------------------------------->';

function foundReport(facts: BisectFacts): string[] {
  const { result } = facts;
  const culprit = result.culprit ?? '(culprit not recorded)';
  const info = facts.commit(culprit);
  const subject = info?.subject ?? result.subject ?? '';
  const lines = ['Hello,', '', `${headline(facts)} on:`, ''];
  lines.push(`commit: ${culprit} ("${subject}")`);
  if (info) {
    lines.push(`author: ${info.author.name} <${info.author.email}>`);
    lines.push(`date: ${info.authorDate}`);
    lines.push(`describe: ${info.describe}`);
  }
  // Beside the commit, before any figure: a doubt changes how the rest is read.
  lines.push(...facts.culpritWarnings.map((warning) => `warning: ${warning}`));
  lines.push(...fixedLines(facts));
  lines.push(...urlLine(facts), '', ...setupLines(facts));
  lines.push(...effectLines(facts), ...changeLines(facts));
  lines.push(...confirmedLine(result.confirmations ?? []));
  lines.push(...tagLines(facts));
  lines.push('', 'Details are as below:', DETAILS_RULE, '');
  if (facts.comparison) lines.push(...comparisonTable(facts, facts.comparison), '');
  lines.push(...testedSection(facts), ...confirmationSection(facts), ...totals(facts));
  lines.push('', 'git bisect log:', ...logLines(result.log));
  return lines;
}

/** "kbisect noticed a -86% regression of throughput": LKP's first sentence. */
function headline(facts: BisectFacts): string {
  const change = facts.culpritDecision?.effects.vsGood;
  const metric = (facts.input.quantity ?? facts.result.quantity)?.metric;
  if (facts.culpritBootFailure) return 'kbisect noticed a boot failure';
  if (change === null || change === undefined) return 'kbisect noticed a regression';
  return `kbisect noticed a ${formatPercent(change)} regression${metric ? ` of ${metric}` : ''}`;
}

/** The fix, once recorded: the first thing a reader of an old report needs to know. */
function fixedLines(facts: BisectFacts): string[] {
  const fix = facts.input.fix;
  if (!fix) return [];
  return [
    `fixed: ${fix.commit} ("${fix.subject}")`,
    `       in ${fix.describe}, recorded by ${fix.by} at ${fix.at}${fix.note ? `: ${fix.note}` : ''}`,
  ];
}

function urlLine(facts: BisectFacts): string[] {
  return facts.input.url ? [`bisect: ${facts.input.url}`] : [];
}

function setupLines(facts: BisectFacts): string[] {
  const lines = facts.setup.map(([name, value]) => `${name}: ${value}`);
  return lines.length ? [...lines, ''] : [];
}

/** The effect with its confidence: the numbers and the test that backs them. */
function effectLines(facts: BisectFacts): string[] {
  const lines: string[] = [];
  const { effect } = facts.result;
  const d = facts.culpritDecision;
  if (facts.culpritBootFailure) {
    lines.push(`effect: the kernel does not boot (${facts.culpritBootFailure})`);
  } else if (effect) lines.push(`effect: ${effect}`);
  // An exit-code oracle has no size of effect, only what it said on the culprit.
  else if (facts.culpritSummary) lines.push(`oracle: ${facts.culpritSummary} on the culprit`);
  if (d) {
    const lr = d.rule === 'likelihood-ratio' ? d.likelihoodRatio : undefined;
    const rankTest = `one-sided Mann-Whitney U test of "worse than good"`;
    // The rule that decided leads: a few runs decided by the likelihood ratio give a rank-test
    // p that looks weak (3 runs against 6 can never go below 0.012), not a weak verdict.
    lines.push(
      ...(lr
        ? [
            `confidence: likelihood ratio ${formatRatio(lr.logBad)} for bad over good, ` +
              `>= ${formatRatio(lr.threshold)} (1/alpha), from ${d.samples.length} runs of the culprit;`,
            `            good and bad ${Math.round(lr.distance)} spreads apart ` +
              `(${d.baselineSamples.good} runs of good); rank test p = ${formatP(d.pValues.worseThanGood)} (${rankTest})`,
          ]
        : [
            `confidence: p = ${formatP(d.pValues.worseThanGood)} (${rankTest}:`,
            `            ${d.samples.length} runs of the culprit against ${d.baselineSamples.good} of good; ` +
              `each verdict needed p <= ${d.alpha})`,
          ]),
    );
  }
  return lines;
}

/** LKP's paragraph of the tags a fix should carry, when the report is a mail. */
function tagLines(facts: BisectFacts): string[] {
  const { reportedBy, url } = facts.input;
  if (!reportedBy) return [];
  return [
    '',
    'If you fix the issue in a separate patch/commit (i.e. not just a new version of',
    'the same patch/commit), kindly add following tags',
    `| Reported-by: ${reportedBy}`,
    ...(url ? [`| Closes: ${url}`] : []),
  ];
}

const CHECK_WORDS: Record<Confirmation['check'], string> = {
  'culprit-is-bad': 'the culprit measured bad again',
  'parent-is-good': 'its parent measured good',
  'revert-is-good': 'the bad commit with the culprit reverted measured good',
};

function confirmedLine(confirmations: readonly Confirmation[]): string[] {
  if (confirmations.length === 0) return ['confirmed: not re-tested (--no-confirm)'];
  const passed = confirmations.filter((c) => c.passed).map((c) => CHECK_WORDS[c.check]);
  const missed = confirmations
    .filter((c) => !c.passed)
    .map((c) => `${c.check}${c.note ? ` (${c.note})` : ''}`);
  return [
    ...(passed.length ? [`confirmed: ${passed.join('; ')}`] : []),
    ...(missed.length ? [`not confirmed: ${missed.join('; ')}`] : []),
  ];
}

function testedSection(facts: BisectFacts): string[] {
  const own = facts.tested.filter((t) => !t.check);
  // Which lab ran each commit: only when labs ran them (a pool may use several).
  const labs = own.some((t) => t.lab);
  const rows = own.map((t) => [
    String(t.index),
    shortSha(t.sha),
    t.verdict,
    t.measured,
    t.buildSeconds !== undefined ? formatDuration(t.buildSeconds) : '',
    t.testSeconds !== undefined ? formatDuration(t.testSeconds) : '',
    ...(labs ? [t.lab ?? ''] : []),
    t.subject ?? '',
  ]);
  if (rows.length === 0) return [];
  const head = ['#', 'commit', 'verdict', 'measured', 'build', 'test', ...(labs ? ['lab'] : [])];
  return ['tested commits:', ...columns([[...head, 'subject'], ...rows]), ''];
}

function confirmationSection(facts: BisectFacts): string[] {
  const confirmations = facts.result.confirmations ?? [];
  if (confirmations.length === 0) return [];
  const measured = new Map(facts.tested.filter((t) => t.check).map((t) => [t.check, t]));
  const rows = confirmations.map((c) => [
    c.passed ? 'passed' : 'FAILED',
    c.check,
    shortSha(c.commit),
    measured.get(c.check)?.measured ?? '',
    c.note ?? '',
  ]);
  return ['confirmations:', ...columns(rows), ''];
}

/** syzkaller's closing line: what it cost, so the reader can judge the effort. */
function totals(facts: BisectFacts): string[] {
  const { result } = facts;
  const s = result.seconds;
  const time = s
    ? `, total time: ${formatDuration(s.total)} (build: ${formatDuration(s.build)}, test: ${formatDuration(s.test)})`
    : '';
  return [`revisions tested: ${result.steps}, oracle runs: ${result.oracleRuns}${time}`];
}

const logLines = (log: string) => (log ? log.replace(/\n$/, '').split('\n') : ['(empty)']);

function inconclusiveReport(facts: BisectFacts): string[] {
  const { result } = facts;
  const lines = ['Hello,', ''];
  lines.push(
    `kbisect could not narrow the regression down to one commit: ${result.reason ?? 'only skipped commits are left'}`,
  );
  lines.push(...facts.culpritWarnings.map((warning) => `warning: ${warning}`));
  lines.push(...fixedLines(facts));
  lines.push(...urlLine(facts), '', ...setupLines(facts));
  if (result.candidates.length) {
    lines.push('The first bad commit is one of:');
    const why = new Map(facts.tested.filter((t) => t.skipped).map((t) => [t.sha, t.measured]));
    lines.push(
      ...columns(
        result.candidates.map((sha) => {
          const info = facts.commit(sha);
          return [
            shortSha(sha),
            info ? `("${info.subject}")` : '',
            info?.describe ?? '',
            why.has(sha) ? `skipped: ${why.get(sha) || 'no verdict'}` : 'not tested',
          ];
        }),
      ),
      '',
    );
  }
  lines.push('Details are as below:', DETAILS_RULE, '');
  lines.push(...testedSection(facts), ...confirmationSection(facts), ...totals(facts));
  lines.push('', 'git bisect log:', ...logLines(result.log));
  return lines;
}

function notDistinguishableReport(facts: BisectFacts): string[] {
  const { result } = facts;
  const lines = [
    'kbisect did not bisect: the oracle cannot tell the good commit from the bad one.',
  ];
  lines.push(...urlLine(facts), '', ...setupLines(facts));
  const reason = result.reason;
  if (reason) lines.push(`reason: ${reason}`);
  const b = endpointBaselines(result.baselines);
  if (b) {
    const side = (e: typeof b.good) => {
      const spread = typeof e.spread === 'number' && Number.isFinite(e.spread);
      const hangs = e.hangs > 0 ? `, ${e.hangs} hung` : '';
      return `median ${formatValue(e.median)}${spread ? ` ± ${formatValue(e.spread)}` : ''} (${e.samples} samples${hangs})`;
    };
    lines.push(`good: ${side(b.good)}`, `bad:  ${side(b.bad)}`);
    lines.push(
      `change: ${formatPercent(b.effect)} (${b.direction}), p = ${formatP(b.pValue)} ` +
        '(one-sided Mann-Whitney U test of "bad is worse than good")',
    );
  } else if (result.error) {
    lines.push(result.error);
  }
  lines.push(
    '',
    'A bisect between these endpoints would follow noise. Measure more samples, raise the',
    'load, or choose endpoints further apart.',
  );
  return lines;
}
