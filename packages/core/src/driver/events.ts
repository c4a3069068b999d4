import type { JournalEntry } from '../journal.js';
import type { BisectResult } from '../result.js';

/** What the loop reports while it works, for progress output and logs. */
export type BisectEvent =
  | {
      type: 'step';
      commit: string;
      phase: 'calibrate' | 'endpoint' | 'bisect' | 'confirm';
      remaining: number;
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
