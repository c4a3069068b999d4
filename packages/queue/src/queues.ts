import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { BuildJob, BuildJobResult } from './jobs/build-job.js';
import type { CoordinatorJob, CoordinatorJobResult } from './jobs/coordinator-job.js';
import type { LabTestJob, LabTestJobResult } from './jobs/lab-test-job.js';
import { QUEUE } from './names.js';
import type { WatchJob } from './watch/watch-spec.js';

export interface Queues {
  coordinator: Queue<CoordinatorJob, CoordinatorJobResult>;
  build: Queue<BuildJob, BuildJobResult>;
  labTest: Queue<LabTestJob, LabTestJobResult>;
  watch: Queue<WatchJob, { status: string }>;
}

const DAY = 24 * 3600;

/**
 * The three queues, with the job options every producer uses. Finished jobs are kept for a
 * week: a coordinator restarted from the journal finds the builds and samples its
 * predecessor finished and uses their results instead of doing the work again.
 */
export function createQueues(connection: Redis, prefix: string): Queues {
  const kept = {
    removeOnComplete: { age: 7 * DAY, count: 100_000 },
    removeOnFail: { age: 30 * DAY },
  };
  // A coordinator handles its own failures (it ends the bisect); a build or a test that
  // failed for the infrastructure (git racing a killed worker's leftovers, a lost lab) is
  // tried again. A failed build or an oracle that cannot measure is a result, not a failure.
  const coordinator = { connection, prefix, defaultJobOptions: { ...kept, attempts: 1 } };
  const work = {
    connection,
    prefix,
    defaultJobOptions: {
      ...kept,
      attempts: 3,
      backoff: { type: 'exponential' as const, delay: 1000 },
    },
  };
  return {
    coordinator: new Queue(QUEUE.coordinator, coordinator),
    build: new Queue(QUEUE.build, work),
    labTest: new Queue(QUEUE.labTest, work),
    // A run handles its own failures (it records them); a night that failed is not redone.
    watch: new Queue(QUEUE.watch, {
      connection,
      prefix,
      defaultJobOptions: { removeOnComplete: { age: 7 * DAY }, removeOnFail: { age: 30 * DAY } },
    }),
  };
}

export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all(Object.values(queues).map((queue) => queue.close()));
}
