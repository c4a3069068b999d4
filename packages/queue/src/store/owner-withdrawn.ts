import { isTerminal, type JobOwner } from '@kbisect/contracts';
import type { Stores } from './stores.js';

/**
 * Why a job's owner no longer wants it, or undefined when it still does: a bisect removed or
 * cancelled, a watch deleted. A job taken after that ends at once instead of building.
 */
export async function ownerWithdrawn(
  stores: Pick<Stores, 'bisects' | 'watches'>,
  owner: JobOwner,
): Promise<string | undefined> {
  if ('bisectId' in owner) {
    const record = await stores.bisects.get(owner.bisectId);
    return !record || record.cancelRequested
      ? `bisect ${owner.bisectId} was cancelled or removed`
      : undefined;
  }
  const watch = await stores.watches.get(owner.watchId);
  return watch ? undefined : `watch ${owner.watchId} was removed`;
}

/**
 * Whether an owner is over: its bisect ended (or is gone), its watch run finished (or the
 * watch is gone). Nothing it built is tested any more, so what it still holds may be taken.
 */
export async function ownerEnded(
  stores: Pick<Stores, 'bisects' | 'watches'>,
  owner: JobOwner,
): Promise<boolean> {
  if ('bisectId' in owner) {
    const record = await stores.bisects.get(owner.bisectId);
    return !record || isTerminal(record.status);
  }
  const run = await stores.watches.getRun(owner.watchId, owner.runId);
  return run?.status !== 'running';
}
