import type { JournalEntry } from '../journal.js';
import type { BisectResult } from '../result.js';

/** What the loop reports while it works, for progress output and logs. */
export type BisectEvent =
  | {
      type: 'step';
      /** The commit tested, or the first of a round's. */
      commit: string;
      /** Every commit of a round tested at once (k > 1), in the order they are recorded. */
      commits?: string[];
      phase: 'calibrate' | 'endpoint' | 'bisect' | 'confirm';
      remaining: number;
      /** Steps after this one; rounds after this one when a round tests several commits. */
      stepsLeft: number;
      /** Roughly how long the bisect still takes (`estimateTimeLeft`); absent before any measurement. */
      secondsLeft?: number;
    }
  | { type: 'build'; commit: string; ok: boolean; seconds: number }
  | {
      type: 'sample';
      commit: string;
      index: number;
      value?: number;
      hang?: boolean;
      exitCode?: number;
    }
  | { type: 'verdict'; entry: JournalEntry; remaining: number }
  | { type: 'done'; result: BisectResult };
