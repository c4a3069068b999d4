import type { Queues } from '../queues.js';
import type { Stores } from '../store/stores.js';

export type ResumeOutcome =
  /** Queued again; `after` is the event id to follow from (the earlier `end` lies before it). */
  { kind: 'resumed'; after: string | undefined } | { kind: 'not-in-error' };

/**
 * Runs a bisect that ended in `error` again from its journal: the record goes back to
 * `queued` (atomically, so of two resumes one wins), the ended coordinator job is removed so
 * its id can be used again, and a new one is queued with that same id. The coordinator reads
 * the journal and asks for the same build and lab-test job ids as before: finished ones are
 * reused, failed ones run again, so nothing is measured twice. Only `error` is resumable: a
 * cancel was somebody's decision, and the other ends are results.
 */
export async function resumeBisect(
  stores: Stores,
  queues: Queues,
  id: string,
): Promise<ResumeOutcome> {
  if (!(await stores.bisects.reopen(id))) return { kind: 'not-in-error' };
  const ended = await queues.coordinator.getJob(id);
  // An ended job is not locked; right after its bisect ended it may be, for a moment.
  for (let attempt = 1; ended; attempt++) {
    try {
      await ended.remove();
      break;
    } catch (error) {
      if (attempt >= 20) throw error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const after = await stores.events.append(id, 'status', { status: 'queued', resumed: true });
  await queues.coordinator.add('bisect', { bisectId: id }, { jobId: id });
  return { kind: 'resumed', after: after ?? undefined };
}
