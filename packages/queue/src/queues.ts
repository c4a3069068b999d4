import type {
  BuildJob,
  BuildJobResult,
  CoordinatorJob,
  CoordinatorJobResult,
  LabTestJob,
  LabTestJobResult,
  WatchJob,
} from '@kbisect/contracts';
import { QUEUE } from '@kbisect/contracts';
import { Queue, type QueueOptions } from 'bullmq';
import type { Redis } from 'ioredis';

export interface Queues {
  coordinator: Queue<CoordinatorJob, CoordinatorJobResult>;
  build: Queue<BuildJob, BuildJobResult>;
  /** One queue per place a test can run (`labTestQueueOf`), created when first named. */
  labTest: LabTestQueues;
  watch: Queue<WatchJob, { status: string }>;
}

const DAY = 24 * 3600;

/** The backoff type of build and lab-test jobs; every worker of those queues defines it. */
export const INFRASTRUCTURE_BACKOFF = 'infrastructure';

export type LabTestQueue = Queue<LabTestJob, LabTestJobResult>;

/** The lab-test queues by name (names.ts says which job goes to which), all with one set of options. */
export class LabTestQueues {
  readonly #byName = new Map<string, LabTestQueue>();

  constructor(private readonly options: QueueOptions) {}

  get(name: string): LabTestQueue {
    let queue = this.#byName.get(name);
    if (!queue) {
      queue = new Queue(name, this.options);
      this.#byName.set(name, queue);
    }
    return queue;
  }

  /** The queues named so far. */
  all(): LabTestQueue[] {
    return [...this.#byName.values()];
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((queue) => queue.close()));
  }
}

/**
 * The queues, with the job options every producer uses. Finished jobs are kept for a
 * week: a coordinator restarted from the journal finds the builds and samples its
 * predecessor finished and uses their results instead of doing the work again.
 */
export function createQueues(connection: Redis, prefix: string): Queues {
  const kept = {
    removeOnComplete: { age: 7 * DAY, count: 100_000 },
    removeOnFail: { age: 30 * DAY },
  };
  // A coordinator handles its own failures (it ends the bisect); a build or a test that
  // failed for the infrastructure (a full disk, a lost lab, git racing a killed worker's
  // leftovers) is tried again. A failed build or an oracle that cannot measure is a result,
  // not a failure. How often and when: the workers' `infrastructure` backoff strategy
  // (apps/worker/src/faults/infrastructure-retry.ts) decides; `attempts` is only a ceiling.
  const coordinator = { connection, prefix, defaultJobOptions: { ...kept, attempts: 1 } };
  const work = {
    connection,
    prefix,
    defaultJobOptions: { ...kept, attempts: 1000, backoff: { type: INFRASTRUCTURE_BACKOFF } },
  };
  return {
    coordinator: new Queue(QUEUE.coordinator, coordinator),
    build: new Queue(QUEUE.build, work),
    labTest: new LabTestQueues(work),
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
