import { type Evidence, type JournalEntry, median, type Sample } from '@kbisect/core';

/** Twelve hex digits: what kernel developers quote in Fixes: tags. */
export const shortSha = (sha: string): string => sha.slice(0, 12);

/** "17.3 s", "12m03s", "1h02m": a kernel build takes minutes, a bisect hours. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  const two = (n: number) => n.toString().padStart(2, '0');
  return h > 0 ? `${h}h${two(m)}m` : `${m}m${two(s)}s`;
}

/** A measured value with three significant digits, whole numbers from 1000 up. */
export function formatMeasure(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 1000) return Math.round(x).toString();
  return Number(x.toPrecision(3)).toString();
}

/** The numbers the oracle printed; hung runs carry none and are counted apart. */
export function measuredValues(samples: readonly Sample[]): number[] {
  return samples
    .filter((s) => !s.hang && typeof s.value === 'number' && Number.isFinite(s.value))
    .map((s) => s.value as number);
}

/**
 * One cell for what was measured on a commit: "median 1591 (n=40)", "2 hangs", "exit 1,1",
 * or why it was skipped, so a skip can be judged from the table alone.
 */
export function measurement(entry: JournalEntry): string {
  const ev = entry.evidence;
  if (!ev) return entry.source === 'manual' ? 'marked by hand' : '';
  if (ev.build && !ev.build.ok) return ev.build.timedOut ? 'build timed out' : 'build failed';
  const samples = ev.samples ?? [];
  const values = measuredValues(samples);
  const hangs = samples.filter((s) => s.hang).length;
  const parts: string[] = [];
  if (values.length) parts.push(`median ${formatMeasure(median(values))} (n=${values.length})`);
  if (hangs) parts.push(`${hangs} hang${hangs > 1 ? 's' : ''}`);
  const codes = samples.filter((s) => s.value === undefined && s.exitCode !== undefined);
  if (codes.length) parts.push(`exit ${codes.map((s) => s.exitCode).join(',')}`);
  const boot = bootFailureText(ev);
  if (boot) parts.push(boot);
  else if (ev.skipReason && ev.skipReason !== 'build-failed') parts.push(ev.skipReason);
  if (entry.source === 'manual') parts.push(ev.note ? `by hand: ${ev.note}` : 'by hand');
  if (entry.retest) parts.push(`re-test ${entry.retest}: overturns the earlier verdict`);
  return parts.join(', ');
}

/**
 * A kernel that did not boot (skipped, or bad in a boot bisect), as a person reads it: "boot
 * failed: lab vm-a: kernel ... did not answer SSH within 90 s". That is the first line of the
 * note; the console tail after it stays in the journal's evidence.
 */
export function bootFailureText(ev: Evidence): string | undefined {
  if (ev.skipReason !== 'boot-failed' && ev.badReason !== 'boot-failed') return undefined;
  const first = ev.note?.split('\n')[0]?.trim();
  if (!first) return 'boot failed';
  return first.startsWith('boot failed') ? first : `boot failed: ${first}`;
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function columns(rows: readonly (readonly string[])[], indent = '  '): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, [...cell].length);
    });
  }
  return rows.map(
    (row) =>
      indent +
      row
        .map((cell, i) =>
          i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - [...cell].length),
        )
        .join('  ')
        .trimEnd(),
  );
}
