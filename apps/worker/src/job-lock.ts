import type { Job } from 'bullmq';

/**
 * Whether this run still holds its job's lock, renewing it for `lockDurationMs`: a run whose
 * worker did not run for longer than the lock may have lost the job to another worker's run,
 * and must then write nothing (`LostLock`). BullMQ answers 1 when the token still matches.
 */
export async function ownsJobLock(
  job: Pick<Job, 'extendLock'>,
  token: string | undefined,
  lockDurationMs: number,
): Promise<boolean> {
  return token !== undefined && (await job.extendLock(token, lockDurationMs)) === 1;
}
