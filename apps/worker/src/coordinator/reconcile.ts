import { errorResultObject } from '@kbisect/contracts';
import { finishBisect, type Queues, type Stores } from '@kbisect/queue';
import type { Logger } from 'pino';

/**
 * At start, every open bisect must have a live coordinator job: one whose job failed while no
 * worker was listening (it stalled too often, say) is ended as an error, and one whose job is
 * missing (submitted while the queue was lost) is queued again. Runs in every worker; racing
 * workers agree, since ending is idempotent and job ids are the bisect ids.
 */
export async function reconcileOpenBisects(stores: Stores, queues: Queues, log: Logger) {
  let requeued = 0;
  let ended = 0;
  for (const status of ['queued', 'running'] as const) {
    for (const id of await stores.bisects.idsWithStatus(status)) {
      const job = await queues.coordinator.getJob(id);
      if (!job) {
        await queues.coordinator.add('bisect', { bisectId: id }, { jobId: id });
        requeued += 1;
        continue;
      }
      if ((await job.getState()) === 'failed') {
        await finishBisect(stores, id, 'error', log.child({ bisectId: id }), {
          result: errorResultObject(
            new Error(`the coordinator job failed: ${job.failedReason ?? 'unknown reason'}`),
          ),
        });
        ended += 1;
      }
    }
  }
  if (requeued + ended > 0) log.info({ requeued, ended }, 'reconciled open bisects');
}
