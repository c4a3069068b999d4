import type { Queues } from '../queues.js';
import type { BisectRecord } from '../record/bisect-record.js';
import type { Stores } from '../store/stores.js';

/**
 * Stores a new bisect whose range is resolved and queues its coordinator: the one way a
 * bisect is started, by `POST /v1/bisects` and by a watch that found a regression.
 */
export async function queueBisect(
  stores: Stores,
  queues: Queues,
  record: BisectRecord,
): Promise<void> {
  await stores.bisects.create(record);
  await stores.events.append(record.id, 'status', { status: 'queued' });
  await queues.coordinator.add('bisect', { bisectId: record.id }, { jobId: record.id });
}
