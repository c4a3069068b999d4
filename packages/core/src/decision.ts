import type { DecisionEvidence, Sample } from './evidence.js';
import type { SkipReason, Verdict } from './verdict.js';

/** What a decision policy says after looking at the samples of one commit. */
export type Decision =
  | { kind: 'verdict'; verdict: Verdict; evidence: DecisionEvidence; skipReason?: SkipReason }
  /** Not sure yet: run the oracle `count` more times and ask again. */
  | { kind: 'more'; count: number; why: string };

/**
 * Turns oracle samples of one commit into a verdict. The driver runs the oracle
 * `initialSamples` times, then keeps asking `decide` until it returns a verdict.
 */
export interface DecisionPolicy {
  readonly initialSamples: number;
  decide(samples: readonly Sample[]): Decision;
}

export type Direction = 'higher-is-better' | 'lower-is-better';
