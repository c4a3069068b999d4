/**
 * The watch run lease is no longer held by this attempt of the run: it expired while its
 * worker did not run and another attempt (the same job run again elsewhere, which re-attached)
 * or another run took it. The attempt must stop and give back nothing its run holds, since
 * whatever holds the lease now counts.
 */
export class WatchRunLeaseLost extends Error {
  override readonly name = 'WatchRunLeaseLost';
  constructor(
    readonly watchId: string,
    readonly runId: string,
    readonly attemptId: string,
    /** Who holds it now (`run/attempt`), or undefined when no one does. */
    readonly holder: string | undefined,
  ) {
    super(
      `watch ${watchId}: attempt ${attemptId} of run ${runId} lost its lease` +
        (holder ? ` (held by ${holder})` : ' (expired)'),
    );
  }
}
