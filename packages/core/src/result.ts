/** How a bisect ended. Uncomfortable outcomes are data too, never a guess. */
export type BisectResult =
  | { kind: 'found'; culprit: string }
  /** Only skipped commits are left: the first bad commit is one of `candidates`. */
  | { kind: 'inconclusive'; candidates: string[]; reason: string }
  /** A good endpoint tested bad: the range does not contain the regression. */
  | { kind: 'good-is-bad'; commit: string }
  /** The bad endpoint tested good: the regression does not reproduce. */
  | { kind: 'bad-is-good'; commit: string };

/** What the core asks for next, or how the bisect ended. */
export type NextStep =
  | {
      kind: 'test';
      commit: string;
      /** 'endpoint' while the given good/bad commits are being confirmed. */
      phase: 'endpoint' | 'bisect';
      /** Commits that may still be the first bad one (including the current bad). */
      remaining: number;
      /** About how many more tests, as `git bisect` prints "roughly N steps". */
      stepsLeft: number;
    }
  | { kind: 'done'; result: BisectResult };
