/**
 * Number formatting for summaries a kernel developer reads: few digits, a hang named as
 * such rather than printed as a sentinel.
 */

/** Stands for a hung run when lower is better: ranks worst, yet stays a finite JSON number. */
export const HANG_SENTINEL = Number.MAX_VALUE;

/** A measured value with two significant digits, three or more when it is ≥ 100. */
export function formatValue(x: number): string {
  if (!Number.isFinite(x) || x === HANG_SENTINEL) return 'hang';
  if (Math.abs(x) >= 100) return Math.round(x).toString();
  return Number(x.toPrecision(2)).toString();
}

/** "1e-4" below 0.001, "0.018" above: what people write in a regression report. */
export function formatP(p: number): string {
  if (p === 0) return '0';
  if (p < 0.001) return p.toExponential(0);
  return Number(p.toPrecision(2)).toString();
}

/** A relative change as a signed percentage: -0.92 → "-92%", 0.153 → "+15%". */
export function formatPercent(change: number): string {
  if (!Number.isFinite(change)) return change > 0 ? '+∞%' : '-100%';
  const pct = change * 100;
  // One decimal only where it changes the reading: 0.4% is not 0%, 0.96% is 1%.
  const digits = Math.abs(pct) < 0.95 ? 1 : 0;
  const text = Math.abs(pct).toFixed(digits);
  if (Number(text) === 0) return '0%';
  return `${pct < 0 ? '-' : '+'}${text}%`;
}

/** A likelihood ratio as people write it: "1000", "2e+4" (from its natural log). */
export function formatRatio(logRatio: number): string {
  const ratio = Math.exp(logRatio);
  return ratio < 10_000 ? Math.round(ratio).toString() : ratio.toExponential(0);
}
