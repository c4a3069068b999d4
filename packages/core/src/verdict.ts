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
