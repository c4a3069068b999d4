import type { QueueEvents } from 'bullmq';

export interface ChildJobOptions {
  /** A finished result that can no longer be used (its artifact is gone): run the job again. */
  isStale?: (result: unknown) => boolean | Promise<boolean>;
}

/**
 * Runs a job with a deterministic id and waits for its result, attaching to the job if it
 * already exists: a coordinator restarted after a crash asks for the same ids, so work that
 * is queued or running is waited for, work that finished is reused, and work that failed
 * (e.g. its worker died too often) is retried.
 */
export async function runChildJob(
  queue: ChildQueue,
  events: QueueEvents,
  name: string,
  data: object,
  jobId: string,
  signal: AbortSignal,
  options: ChildJobOptions = {},
): Promise<unknown> {
  let job = await queue.getJob(jobId);
  if (job) {
    const state = await job.getState();
    if (state === 'failed') {
      await job.retry('failed');
    } else if (state === 'completed' && (await options.isStale?.(job.returnvalue))) {
      await job.remove();
      job = undefined;
    }
  }
  // `add` with an existing id returns that job: a concurrent add by a twin coordinator is fine.
  const running = job ?? (await queue.add(name, data, { jobId }));
  // The result crossed Redis: the caller checks it against the queue's result schema.
  return abortable(running.waitUntilFinished(events), signal);
}

/** The part of a BullMQ queue and job this needs; any queue's payload types fit. */
export interface ChildQueue {
  getJob(jobId: string): Promise<ChildJob | undefined>;
  add(name: string, data: object, options: { jobId: string }): Promise<ChildJob>;
}

interface ChildJob {
  returnvalue: unknown;
  getState(): Promise<string>;
  retry(state: 'failed'): Promise<void>;
  remove(): Promise<void>;
  waitUntilFinished(events: QueueEvents): Promise<unknown>;
}

/** Rejects with the signal's reason as soon as it aborts; the work itself goes on. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    // The job may still fail later (a cancelled bisect's test): nobody waits for that, and an
    // unhandled rejection would end the worker process.
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
