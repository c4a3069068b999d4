import type { ServiceConfig } from '@kbisect/config';
import type { Job } from 'bullmq';
import { HostFault } from './host-fault.js';

export type RetryPolicy = ServiceConfig['infrastructure'];

/**
 * Errors of the machines rather than the commit: a lab that does not answer or is taken, and
 * Redis gone for a moment. (A build that fails, a kernel that does not boot, an oracle that
 * cannot measure are evidence and never reach this: they are results, not errors.)
 */
const INFRASTRUCTURE_ERRORS = new Set([
  'HostFault',
  'LabUnreachable',
  'LabDown',
  'LabPoolDown',
  'LabBusy',
  'LabPoolBusy',
  'LeaseLost',
  'MaxRetriesPerRequestError',
]);

/** Any other error (a bug, git racing a killed worker's leftovers): tried this often, quickly. */
const QUICK_TRIES = 3;

export function isInfrastructureFault(error: Error): boolean {
  return INFRASTRUCTURE_ERRORS.has(error.name) || /Connection is closed/.test(error.message);
}

/**
 * How long to wait before the next try of a job that failed `failures` times with `error`, or
 * undefined to give up. An infrastructure fault waits `retryFirstMs`, doubled each time up to
 * `retryMaxMs`, until the waits add up to `retryForMs` (by default 15 s … 5 min, for 30 min):
 * a disk that fills for minutes no longer ends a bisect. Anything else: 1 s, 2 s, then give up.
 */
export function retryDelayMs(
  failures: number,
  error: Error,
  policy: RetryPolicy,
): number | undefined {
  if (!isInfrastructureFault(error)) {
    return failures < QUICK_TRIES ? 1000 * 2 ** (failures - 1) : undefined;
  }
  let waited = 0;
  let delay = 0;
  for (let i = 1; i <= failures; i++) {
    delay = Math.min(policy.retryFirstMs * 2 ** (i - 1), policy.retryMaxMs);
    waited += delay;
  }
  return waited <= policy.retryForMs ? delay : undefined;
}

/**
 * The BullMQ backoff strategy of the build and lab-test workers (the queues' job option
 * `backoff: { type: 'infrastructure' }`); -1 tells BullMQ to fail the job for good.
 */
export function infrastructureBackoff(policy: RetryPolicy) {
  return (attemptsMade: number, _type?: string, error?: Error): number =>
    retryDelayMs(attemptsMade, error ?? new Error('unknown'), policy) ?? -1;
}

/**
 * The progress line for a job that failed for the infrastructure and will be tried again:
 * "waiting: disk full on build host b1 (ENOSPC), retry 3 in 60 s". Undefined otherwise.
 */
export function waitingLine(job: Job, error: Error, policy: RetryPolicy): string | undefined {
  if (!isInfrastructureFault(error) || job.attemptsMade >= (job.opts.attempts ?? 1)) return;
  const delay = retryDelayMs(job.attemptsMade, error, policy);
  if (delay === undefined) return;
  const what =
    error instanceof HostFault
      ? `${error.what} on build host ${error.host} (${error.code})`
      : (error.message.split('\n')[0] ?? error.name);
  return `waiting: ${what}, retry ${job.attemptsMade} in ${Math.round(delay / 1000)} s`;
}
