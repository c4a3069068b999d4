import { formatP, formatPercent, formatValue } from '@kbisect/core';
import { type BisectFacts, bisectFacts } from './bisect-facts.js';
import { endpointBaselines } from './endpoint-baselines.js';
import { changeLines, comparisonTable } from './evidence-lines.js';
import { formatDuration, shortSha } from './format.js';
import type { BisectReportInput } from './report-input.js';

/**
 * The bisect as GitHub-flavoured Markdown for a CI summary ($GITHUB_STEP_SUMMARY, a merge
 * request note): the culprit, its effect, the tested commits and a link to the bisect.
 * Everything that came from a commit or an oracle is escaped, so a subject cannot open a
 * link, an HTML tag or a new table cell.
 */
export function markdownReport(input: BisectReportInput): string {
  const facts = bisectFacts(input);
  const lines = [
    ...summary(facts),
    ...setupTable(facts),
    ...evidenceBlock(facts),
    ...testedTable(facts),
    ...logBlock(facts.result.log),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * Inline text from outside (subjects, notes, errors): HTML is entity-escaped, the characters
 * that start emphasis, code, links or table cells are backslash-escaped, and a line-start
 * marker (heading, list, quote) is escaped; a newline becomes a space so a table row stays one.
 */
export function mdText(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]|~!]/g, (c) => `\\${c}`)
    .replace(/^(\s*)([#+-])/, '$1\\$2')
    .replace(/^(\s*\d+)([.)])/, '$1\\$2');
}

const code = (text: string) => `<code>${mdText(text)}</code>`;

function link(facts: BisectFacts): string[] {
  const url = facts.input.url;
  // Only http(s): a "javascript:" URL would be a link a reader clicks.
  if (!url || !/^https?:\/\//i.test(url)) return [];
  return [`[${mdText(url)}](<${url.replace(/[<>\s]/g, encodeURIComponent)}>)`];
}

function summary(facts: BisectFacts): string[] {
  const { result } = facts;
  const url = link(facts);
  switch (result.status) {
    case 'found': {
      const culprit = result.culprit ?? '(culprit not recorded)';
      const info = facts.commit(culprit);
      const subject = info?.subject ?? result.subject ?? '';
      const rows: [string, string][] = [['Commit', `${code(culprit)}`]];
      if (info) {
        rows.push(['Describe', code(info.describe)]);
        rows.push(['Author', mdText(`${info.author.name} <${info.author.email}>`)]);
        rows.push(['Date', mdText(info.authorDate)]);
      }
      const effect = result.effect ?? facts.culpritSummary;
      if (effect) rows.push(['Effect', mdText(effect)]);
      const confirmations = result.confirmations ?? [];
      if (confirmations.length) {
        rows.push([
          'Confirmed',
          confirmations
            .map(
              (c) =>
                `${c.passed ? '✅' : '❌'} ${mdText(c.check)}${c.note ? `: ${mdText(c.note)}` : ''}`,
            )
            .join('<br>'),
        ]);
      }
      const fix = facts.input.fix;
      if (fix) {
        rows.push([
          'Fixed',
          `${code(shortSha(fix.commit))} ${mdText(fix.subject)} (${code(fix.describe)})`,
        ]);
      }
      if (url.length) rows.push(['Bisect', url[0] as string]);
      return [
        `### kbisect: first bad commit ${code(shortSha(culprit))} ${mdText(subject)}`,
        '',
        // Above the table, so no one takes the culprit without its doubt.
        ...facts.culpritWarnings.flatMap((warning) => [`> ⚠️ **Warning:** ${mdText(warning)}`, '']),
        '| | |',
        '|---|---|',
        ...rows.map(([k, v]) => `| ${k} | ${v} |`),
        '',
      ];
    }
    case 'inconclusive': {
      const lines = [
        '### kbisect: inconclusive',
        '',
        mdText(result.reason ?? 'only skipped commits are left'),
        '',
        ...facts.culpritWarnings.flatMap((warning) => [`> ⚠️ **Warning:** ${mdText(warning)}`, '']),
      ];
      if (result.candidates.length) {
        lines.push('The first bad commit is one of:', '');
        for (const sha of result.candidates) {
          const subject = facts.commit(sha)?.subject;
          lines.push(`- ${code(shortSha(sha))}${subject ? ` ${mdText(subject)}` : ''}`);
        }
        lines.push('');
      }
      if (url.length) lines.push(`Bisect: ${url[0]}`, '');
      return lines;
    }
    case 'not-distinguishable': {
      const lines = [
        '### kbisect: good and bad are not distinguishable',
        '',
        mdText(result.reason ?? result.error ?? 'the oracle cannot tell them apart'),
        '',
      ];
      const b = endpointBaselines(result.baselines);
      if (b) {
        lines.push(
          `Good median ${formatValue(b.good.median)} (${b.good.samples} samples), bad median ` +
            `${formatValue(b.bad.median)} (${b.bad.samples} samples): ${formatPercent(b.effect)}, ` +
            `p = ${formatP(b.pValue)}.`,
          '',
        );
      }
      if (url.length) lines.push(`Bisect: ${url[0]}`, '');
      return lines;
    }
    case 'error':
      return [
        '### kbisect: error',
        '',
        mdText(result.error ?? 'unknown error'),
        '',
        ...(url.length ? [`Bisect: ${url[0]}`, ''] : []),
      ];
  }
}

/** What ran where, as the text report's header lines. */
function setupTable(facts: BisectFacts): string[] {
  if (facts.setup.length === 0) return [];
  return [
    '#### Setup',
    '',
    '| | |',
    '|---|---|',
    ...facts.setup.map(([name, value]) => `| ${mdText(name)} | ${mdText(value)} |`),
    '',
  ];
}

/**
 * The parent/culprit table and the interval of the change as the text report has them, in a
 * fence: LKP's columns only line up in a fixed-width font. Only shas, figures and the names of
 * measures go in it.
 */
function evidenceBlock(facts: BisectFacts): string[] {
  if (!facts.comparison) return [];
  // Without the table's "commit:" lines: their subjects are outside text, and a fence shows
  // text as it is (the tested-commits table has them, escaped).
  const table = comparisonTable(facts, facts.comparison).slice(4);
  const text = [...table, '', ...changeLines(facts)].join('\n');
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return ['#### Culprit against its parent', '', fence, text, fence, ''];
}

function testedTable(facts: BisectFacts): string[] {
  if (facts.tested.length === 0) return [];
  const rows = facts.tested.map((t) =>
    [
      t.check ? mdText(t.check) : String(t.index),
      code(shortSha(t.sha)),
      t.verdict,
      mdText(t.measured),
      t.buildSeconds !== undefined ? formatDuration(t.buildSeconds) : '',
      t.testSeconds !== undefined ? formatDuration(t.testSeconds) : '',
      mdText(t.subject ?? ''),
    ].join(' | '),
  );
  const s = facts.result.seconds;
  return [
    '#### Tested commits',
    '',
    '| # | Commit | Verdict | Measured | Build | Test | Subject |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r} |`),
    '',
    `${facts.result.steps} revisions tested, ${facts.result.oracleRuns} oracle runs` +
      (s
        ? `, ${formatDuration(s.total)} (build ${formatDuration(s.build)}, test ${formatDuration(s.test)})`
        : '') +
      '.',
    '',
  ];
}

/** The log in a fence longer than any backtick run inside it, so a subject cannot close it. */
function logBlock(log: string): string[] {
  if (!log) return [];
  const longest = Math.max(0, ...(log.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return [
    '<details><summary>git bisect log</summary>',
    '',
    fence,
    log.replace(/\n$/, ''),
    fence,
    '',
    '</details>',
  ];
}
