import { getNextMillis } from 'bullmq';

/** How many firings are looked at: enough to see a burst inside a daily or monthly window. */
const FIRINGS = 64;

/**
 * The shortest time between two firings of a cron expression, from now on, in seconds (or
 * undefined when it cannot be scheduled). A watch builds and measures on every firing, so
 * `* * * * * *` (each second) would be a build every second; the API refuses crons that fire
 * more often than `watches.minIntervalSeconds`.
 */
export function shortestCronInterval(pattern: string, tz: string | undefined): number | undefined {
  const options = { pattern, ...(tz ? { tz } : {}) };
  let previous = getNextMillis(Date.now(), options);
  if (previous === undefined) return undefined;
  let shortest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < FIRINGS; i++) {
    const next = getNextMillis(previous + 1, options);
    if (next === undefined) break;
    shortest = Math.min(shortest, next - previous);
    previous = next;
  }
  return Number.isFinite(shortest) ? shortest / 1000 : undefined;
}
