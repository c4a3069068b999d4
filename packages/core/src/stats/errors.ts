import type { Direction } from '../decision.js';
import { formatValue } from './format.js';

/** Median and spread of one endpoint's samples, as the user sees them in the refusal. */
export interface EndpointSummary {
  median: number;
  /** Robust standard deviation: MAD × 1.4826 (σ for normal noise); NaN when the median hung. */
  spread: number;
  samples: number;
  hangs: number;
}

/**
 * Good and bad cannot be told apart by the oracle, so a bisect would only follow noise.
 * Carries both endpoints' numbers: the CLI prints the message, `--json` the fields.
 */
export class NotDistinguishable extends Error {
  override readonly name = 'NotDistinguishable';
  constructor(
    readonly good: EndpointSummary,
    readonly bad: EndpointSummary,
    readonly direction: Direction,
    /** One-sided rank test p-value for "bad is worse than good". */
    readonly pValue: number,
    /** Relative change of the bad median against the good one (median_bad / median_good - 1). */
    readonly effect: number,
    /** Chance that a good run beats a bad run (0.5: no difference at all). */
    readonly separation: number,
    /** Which check failed, in words: "p = 0.2 ≥ alpha 0.01", "bad is better than good"... */
    readonly reason: string,
  ) {
    super(
      `good and bad cannot be told apart (${reason}): good median ${describe(good)}, ` +
        `bad median ${describe(bad)}, ${direction}; measure more samples, raise the load, ` +
        'or choose endpoints further apart',
    );
  }
}

/** "9.1 ± 0.3 (40 samples, 2 hung)"; a hung median has no spread to print. */
function describe(endpoint: EndpointSummary): string {
  const spread = Number.isNaN(endpoint.spread) ? '' : ` ± ${formatValue(endpoint.spread)}`;
  const hangs = endpoint.hangs > 0 ? `, ${endpoint.hangs} hung` : '';
  return `${formatValue(endpoint.median)}${spread} (${endpoint.samples} samples${hangs})`;
}

/**
 * The oracle exited with a code `git bisect run` treats as "stop the bisect" (≥ 128 or a
 * signal): continuing would mark commits on a broken test setup.
 */
export class OracleAborted extends Error {
  override readonly name = 'OracleAborted';
  constructor(readonly exitCode: number | undefined) {
    super(
      exitCode === undefined
        ? 'the oracle reported no exit code (killed by a signal?); the bisect stops as git bisect run would'
        : `the oracle exited with ${exitCode}; codes 128 and above abort the bisect as git bisect run does`,
    );
  }
}

/** A sample that should carry a number carries none: the oracle's adapter is broken. */
export class SampleWithoutValue extends Error {
  override readonly name = 'SampleWithoutValue';
  constructor(readonly sample: unknown) {
    super(
      `a sample has no finite value and is not a hang (${JSON.stringify(sample)}); a metric oracle must print a number`,
    );
  }
}

/** The policy was asked to decide on no samples at all: the driver skipped the initial runs. */
export class NoSamples extends Error {
  override readonly name = 'NoSamples';
  constructor(readonly what: string) {
    super(`no samples to decide on: ${what}`);
  }
}

/**
 * The calibration has so few runs that no commit could ever be classified at the chosen
 * alpha, so every commit would end unclear after `maxSamples` runs.
 */
export class BaselinesTooSmall extends Error {
  override readonly name = 'BaselinesTooSmall';
  constructor(
    readonly goodSamples: number,
    readonly badSamples: number,
    readonly maxSamples: number,
    readonly alpha: number,
  ) {
    super(
      `with ${goodSamples} good and ${badSamples} bad calibration samples, even ${maxSamples} ` +
        `samples of a commit cannot reach p ≤ ${alpha}; calibrate on more samples per endpoint ` +
        '(40 recommended) or allow more samples per commit',
    );
  }
}
