import type { SkipReason } from '../verdict.js';

/** Why the oracle could not measure: it failed on a running system, or the kernel never booted. */
export type OracleFailureReason = Extract<SkipReason, 'oracle-skip' | 'boot-failed'>;

/**
 * The oracle could not produce a measurement for this commit (the metric command printed no
 * number, the test program crashed, the kernel did not boot on the lab...). The commit is
 * skipped with this message as evidence, exactly as a build failure would be; a boot failure
 * (`reason: 'boot-failed'`) is journalled as such, and is bad in a bisect that asks for it.
 */
export class OracleFailed extends Error {
  override readonly name = 'OracleFailed';
  constructor(
    message: string,
    readonly outputTail?: string,
    readonly reason: OracleFailureReason = 'oracle-skip',
  ) {
    super(message);
  }
}

/** The bisect was cancelled (Ctrl-C, API cancel). Carries nothing: the journal is the state. */
export class BisectCancelled extends Error {
  override readonly name = 'BisectCancelled';
  constructor() {
    super('bisect cancelled');
  }
}

/**
 * An endpoint's kernel does not boot, so there is nothing to calibrate against. Only a boot
 * bisect (boot failures count as bad) can start from a bad endpoint that does not boot.
 */
export class EndpointDidNotBoot extends Error {
  override readonly name = 'EndpointDidNotBoot';
  constructor(
    readonly commit: string,
    readonly endpoint: 'good' | 'bad',
    readonly failure: OracleFailed,
  ) {
    super(
      `the ${endpoint} endpoint ${commit} does not boot, so good and bad cannot be calibrated ` +
        `(${failure.message})` +
        (endpoint === 'bad'
          ? '; to bisect the boot failure itself, count boot failures as bad (bootFailure "bad")'
          : '; choose a good commit that boots'),
    );
  }
}
