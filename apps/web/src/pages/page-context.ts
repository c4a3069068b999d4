import type { Caller } from '../types.js';

/** What every page gets: the caller, a signal that aborts when the page is left, its path part. */
export interface PageContext {
  caller: Caller;
  signal: AbortSignal;
  /** The id in the path (a bisect's or a watch's), or ''. */
  param: string;
}

/** A function called every `ms` until the page is left; each call waits for the previous. */
export function every(ms: number, signal: AbortSignal, tick: () => Promise<void>): void {
  const loop = async () => {
    if (signal.aborted) return;
    try {
      await tick();
    } catch (error) {
      console.warn('refresh failed', error);
    }
    if (!signal.aborted) setTimeout(loop, ms);
  };
  setTimeout(loop, ms);
}
