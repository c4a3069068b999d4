import { type BisectFacts, bisectFacts, type TestedCommit } from './bisect-facts.js';
import { shortSha } from './format.js';
import type { BisectReportInput } from './report-input.js';
import { textReport } from './text-report.js';
import { xmlAttr, xmlText } from './xml.js';

/**
 * The bisect as JUnit XML (the Ant format of windyroad's JUnit.xsd, which Jenkins, GitLab and
 * the GitHub test-report actions read): one testsuite "kbisect", a testcase per tested commit
 * and one for the result. Only the result can fail, so a CI page shows one red line that names
 * the culprit: a bad verdict on a commit is a measurement of the bisect, not a failed test.
 * Build failures and unclear commits are skipped testcases, as the bisect skipped them.
 */
export function junitReport(input: BisectReportInput): string {
  const facts = bisectFacts(input);
  const cases = [...facts.tested.map(testedCase), resultCase(facts, textReport(input))];
  const count = (kind: Outcome['kind']) => cases.filter((c) => c.outcome?.kind === kind).length;
  const seconds =
    facts.result.seconds?.total ??
    facts.tested.reduce((t, c) => t + (c.buildSeconds ?? 0) + (c.testSeconds ?? 0), 0);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuite name="kbisect" tests="${cases.length}" failures="${count('failure')}" ` +
      `errors="${count('error')}" skipped="${count('skipped')}" time="${decimal(seconds)}" ` +
      `timestamp="${facts.finishedAt.toISOString().slice(0, 19)}" ` +
      `hostname="${xmlAttr(input.host?.trim() || 'localhost')}">`,
    '  <properties>',
    ...properties(facts).map(
      ([name, value]) => `    <property name="${xmlAttr(name)}" value="${xmlAttr(value)}"/>`,
    ),
    '  </properties>',
    ...cases.map(caseXml),
    // The log replays the bisect (`git bisect replay`); the text report is in the result case.
    `  <system-out>${xmlText(facts.result.log)}</system-out>`,
    '  <system-err></system-err>',
    '</testsuite>',
  ];
  return `${lines.join('\n')}\n`;
}

type Outcome =
  | { kind: 'failure' | 'error'; type: string; message: string; body: string }
  | { kind: 'skipped'; message: string };

interface Case {
  classname: string;
  name: string;
  seconds: number;
  outcome?: Outcome;
}

function testedCase(t: TestedCommit): Case {
  const what = [t.verdict, t.measured].filter(Boolean).join(': ');
  const c: Case = {
    classname: t.check ? 'kbisect.confirmation' : 'kbisect.tested-commit',
    name: `${t.check ? `${t.check} ` : `#${t.index} `}${shortSha(t.sha)} ${what}${t.subject ? ` - ${t.subject}` : ''}`,
    seconds: (t.buildSeconds ?? 0) + (t.testSeconds ?? 0),
  };
  if (t.skipped) c.outcome = { kind: 'skipped', message: t.measured || 'skipped' };
  return c;
}

function resultCase(facts: BisectFacts, report: string): Case {
  const { result } = facts;
  const seconds = result.seconds?.total ?? 0;
  switch (result.status) {
    case 'found': {
      const culprit = result.culprit ?? '(culprit not recorded)';
      const subject = facts.commit(culprit)?.subject ?? result.subject ?? '';
      const effect = result.effect ?? facts.culpritSummary;
      const warnings = facts.culpritWarnings.map((warning) => `; warning: ${warning}`).join('');
      return {
        classname: 'kbisect.result',
        name: `first bad commit ${shortSha(culprit)} ${subject}`,
        seconds,
        outcome: {
          kind: 'failure',
          type: 'regression',
          message: `${culprit} ("${subject}") is the first bad commit${effect ? `: ${effect}` : ''}${warnings}`,
          // The text report, whose warning lines follow the culprit.
          body: report,
        },
      };
    }
    case 'inconclusive':
      return {
        classname: 'kbisect.result',
        name: `inconclusive: ${result.candidates.length} candidate commits`,
        seconds,
        outcome: {
          kind: 'error',
          type: 'inconclusive',
          message: `${result.reason ?? 'only skipped commits are left'}${facts.culpritWarnings.map((warning) => `; warning: ${warning}`).join('')}`,
          body: report,
        },
      };
    case 'not-distinguishable':
      return {
        classname: 'kbisect.result',
        name: 'good and bad are not distinguishable',
        seconds,
        outcome: {
          kind: 'error',
          type: 'not-distinguishable',
          message: result.reason ?? result.error ?? 'good and bad cannot be told apart',
          body: report,
        },
      };
    case 'error':
      return {
        classname: 'kbisect.result',
        name: 'bisect error',
        seconds,
        outcome: { kind: 'error', type: 'error', message: result.error ?? '', body: report },
      };
  }
}

function properties(facts: BisectFacts): [string, string][] {
  const { result, input } = facts;
  const props: [string, string][] = [['kbisect.status', result.status]];
  if (input.url) props.push(['kbisect.url', input.url]);
  if (result.culprit) {
    props.push(['kbisect.culprit', result.culprit]);
    const info = facts.commit(result.culprit);
    if (info) props.push(['kbisect.describe', info.describe]);
  }
  if (result.effect) props.push(['kbisect.effect', result.effect]);
  if (input.fix) props.push(['kbisect.fixed', `${input.fix.commit} ${input.fix.describe}`]);
  for (const warning of facts.culpritWarnings) props.push(['kbisect.warning', warning]);
  if (result.reason) props.push(['kbisect.reason', result.reason]);
  props.push(['kbisect.steps', String(result.steps)]);
  props.push(['kbisect.oracle-runs', String(result.oracleRuns)]);
  for (const [name, value] of facts.setup) props.push([`kbisect.setup.${name}`, value]);
  return props;
}

function caseXml(c: Case): string {
  const open = `  <testcase classname="${xmlAttr(c.classname)}" name="${xmlAttr(c.name)}" time="${decimal(c.seconds)}"`;
  const o = c.outcome;
  if (!o) return `${open}/>`;
  if (o.kind === 'skipped')
    return `${open}>\n    <skipped message="${xmlAttr(o.message)}"/>\n  </testcase>`;
  return (
    `${open}>\n    <${o.kind} type="${xmlAttr(o.type)}" message="${xmlAttr(o.message)}">` +
    `${xmlText(o.body)}</${o.kind}>\n  </testcase>`
  );
}

/** xs:decimal: no exponent, no NaN; three decimals are milliseconds. */
const decimal = (seconds: number) =>
  Number.isFinite(seconds) && seconds > 0 ? seconds.toFixed(3) : '0';
