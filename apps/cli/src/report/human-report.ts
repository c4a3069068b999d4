import { reasonOf } from '@kbisect/contracts';
import type { BisectOutcome, JournalEntry } from '@kbisect/core';
import type { CommitInfo } from '@kbisect/git';
import { bootFailureText } from '@kbisect/report';

const short = (sha: string) => sha.slice(0, 12);
const seconds = (s: number) => `${s.toFixed(1)} s`;

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** One table cell for what was measured: a median of values, exit codes, or why it skipped. */
function measurement(entry: JournalEntry): string {
  const ev = entry.evidence;
  if (!ev) return entry.source === 'manual' ? 'marked by hand' : '';
  if (ev.build && !ev.build.ok) return ev.build.timedOut ? 'build timed out' : 'build failed';
  const samples = ev.samples ?? [];
  const values = samples.filter((s) => s.value !== undefined).map((s) => s.value as number);
  const hangs = samples.filter((s) => s.hang).length;
  const parts: string[] = [];
  const m = median(values);
  if (m !== undefined) parts.push(`median ${formatValue(m)} (n=${values.length})`);
  if (hangs) parts.push(`${hangs} hang${hangs > 1 ? 's' : ''}`);
  const codes = samples.filter((s) => s.value === undefined && s.exitCode !== undefined);
  if (codes.length) parts.push(`exit ${codes.map((s) => s.exitCode).join(',')}`);
  const boot = bootFailureText(ev);
  if (boot) parts.push(boot);
  else if (ev.skipReason && ev.skipReason !== 'build-failed') parts.push(ev.skipReason);
  return parts.join(', ');
}

export function formatValue(value: number): string {
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/** What the result object adds to the outcome: `ResultObject` of @kbisect/contracts fits. */
export interface ReportNotes {
  effect?: string;
  /** Doubts about the culprit (`culpritWarnings`), shown beside it. */
  warnings?: string[];
}

/** The report a person reads at the end of `kbisect run`. */
export function humanReport(
  outcome: BisectOutcome,
  info: ReadonlyMap<string, CommitInfo>,
  { effect, warnings = [] }: ReportNotes = {},
): string {
  const lines: string[] = [];
  const { result } = outcome;
  if (result.kind === 'found') {
    const c = info.get(result.culprit);
    lines.push(`${result.culprit} is the first bad commit`);
    if (c) {
      lines.push(`    ${c.subject}`);
      lines.push(`    Author:   ${c.author.name} <${c.author.email}>`);
      lines.push(`    Date:     ${c.authorDate}`);
      lines.push(`    Describe: ${c.describe}`);
    }
    if (effect) lines.push(`    Effect:   ${effect}`);
    for (const warning of warnings) lines.push(`    Warning:  ${warning}`);
  } else if (result.kind === 'inconclusive') {
    lines.push(`inconclusive: ${result.reason}`);
    lines.push('The first bad commit is one of:');
    for (const sha of result.candidates) {
      lines.push(`    ${sha}  ${info.get(sha)?.subject ?? ''}`);
    }
  } else {
    lines.push(`stopped: ${reasonOf(result)}`);
  }
  if (outcome.confirmations.length) {
    lines.push('', 'Confirmations:');
    for (const c of outcome.confirmations) {
      lines.push(
        `    ${c.passed ? 'passed' : 'FAILED'}  ${c.check} on ${short(c.commit)}${c.note ? ` — ${c.note}` : ''}`,
      );
    }
  }
  lines.push('', 'Tested commits:');
  const rows = outcome.journal.map((entry, i) => [
    String(i + 1),
    short(entry.commit),
    entry.verdict,
    measurement(entry),
    entry.evidence?.build ? seconds(entry.evidence.build.seconds) : '',
    entry.evidence?.testSeconds !== undefined ? seconds(entry.evidence.testSeconds) : '',
    info.get(entry.commit)?.subject ?? '',
  ]);
  const header = ['#', 'commit', 'verdict', 'measured', 'build', 'test', 'subject'];
  const widths = header.map((h, col) =>
    Math.max(h.length, ...rows.map((r) => (r[col] ?? '').length)),
  );
  for (const row of [header, ...rows]) {
    lines.push(
      `    ${row.map((cell, col) => (col === row.length - 1 ? cell : pad(cell, widths[col] ?? 0))).join('  ')}`,
    );
  }
  const t = outcome.totals;
  lines.push(
    '',
    `revisions tested: ${t.steps}, oracle runs: ${t.oracleRuns}, total time: ${seconds(t.totalSeconds)} ` +
      `(build: ${seconds(t.buildSeconds)}, test: ${seconds(t.testSeconds)})`,
  );
  return lines.join('\n');
}
