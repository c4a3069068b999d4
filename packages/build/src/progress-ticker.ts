import { type BuildProgress, estimateSecondsLeft, progressMessage } from './build-progress.js';

/**
 * Where a build says what it is doing. pino's Logger is one: the worker hands in a child
 * logger bound to the bisect, so these lines reach the bisect's event stream.
 */
export interface BuildLog {
  info(fields: Record<string, unknown>, message: string): void;
}

/** How a build reports while it runs; without a log it stays silent. */
export interface BuildProgressOptions {
  log?: BuildLog;
  /** Time between progress lines; default 30 s. */
  intervalMs?: number;
}

export const DEFAULT_PROGRESS_INTERVAL_MS = 30_000;

/**
 * Logs `progressMessage(await snapshot())` every interval until stopped. A tick that is still
 * reading (a slow disk) when the next is due is not doubled; the timer never keeps the
 * process alive.
 */
export function startProgressTicker(
  options: BuildProgressOptions,
  snapshot: () => Promise<BuildProgress> | BuildProgress,
): { stop(): void } {
  const { log } = options;
  if (!log) return { stop() {} };
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      const progress = await snapshot();
      const left = estimateSecondsLeft(progress);
      log.info(
        {
          elapsedSeconds: Math.round(progress.elapsedSeconds),
          ...(progress.objects !== undefined ? { objects: progress.objects } : {}),
          ...(progress.expectedObjects !== undefined
            ? { expectedObjects: progress.expectedObjects }
            : {}),
          ...(left !== undefined ? { secondsLeft: Math.round(left) } : {}),
        },
        progressMessage(progress),
      );
    } catch {
      // A progress line that cannot be made is no reason to disturb the build.
    } finally {
      busy = false;
    }
  }, options.intervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
