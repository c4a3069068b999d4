/** A verdict on one commit, as `git bisect good|bad|skip` records it. */
export type Verdict = 'good' | 'bad' | 'skip';

/** Why a commit was skipped; shown in reports so a person can judge the skip. */
export type SkipReason =
  | 'build-failed'
  | 'build-timeout'
  | 'oracle-skip'
  | 'unclear'
  | 'boot-failed'
  | 'manual';

/**
 * Why a commit is bad although no measurement decided it: its kernel did not boot, in a bisect
 * that counts boot failures as bad. Shown in reports next to the verdict.
 */
export type BadReason = 'boot-failed';

/** What a kernel that does not boot on a lab is: skipped (the default), or bad (a boot bisect). */
export type BootFailureVerdict = 'skip' | 'bad';
