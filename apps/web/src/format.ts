import type { PValues } from './types.js';

/** Twelve hex digits, as kernel developers quote commits. */
export const shortSha = (sha: string | null | undefined): string => (sha ? sha.slice(0, 12) : '—');

/** "17.3 s", "12 min 3 s", "1 h 2 min": a build takes minutes, a bisect hours. */
export function duration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const whole = Math.round(seconds);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  return h > 0 ? `${h} h ${m} min` : `${m} min ${s} s`;
}

export const secondsBetween = (from: string, to?: string): number =>
  ((to ? Date.parse(to) : Date.now()) - Date.parse(from)) / 1000;

export const localTime = (iso: string | undefined): string =>
  iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' }) : '—';

/** Three significant digits, whole numbers from 1000 up. */
export function measure(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en');
  return String(Number(x.toPrecision(3)));
}

export function pValue(p: number | undefined): string {
  if (p === undefined || !Number.isFinite(p)) return '—';
  return p < 1e-4 ? p.toExponential(1) : String(Number(p.toPrecision(2)));
}

/** The last path part of a repository: "linux" of /srv/git/linux.git. */
export const repoName = (repo: string): string =>
  repo
    .replace(/\/+$/, '')
    .split(/[/:]/)
    .pop()
    ?.replace(/\.git$/, '') || repo;

/** The rank test's two one-sided p-values as a person reads them. */
export const pValues = (p: PValues): string =>
  `p(worse than good) ${pValue(p.worseThanGood)}, p(better than bad) ${pValue(p.betterThanBad)}`;
