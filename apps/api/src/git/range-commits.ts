import type { Repositories } from '@kbisect/config';
import type { BisectRecord } from '@kbisect/contracts';
import type { BisectRange } from '@kbisect/core';

/**
 * The full range of a stored bisect (its commit graph), recomputed from the stored shas in the
 * API host's mirror, for the bisect log and for checking a manual mark.
 */
export async function rangeOf(
  repositories: Repositories,
  record: BisectRecord,
): Promise<BisectRange> {
  const repository = await repositories.get(record.spec.repo);
  const { bad, goods, firstParent } = record.range;
  return {
    bad,
    goods,
    firstParent,
    commits: await repository.revListRange(bad, goods, { firstParent }),
  };
}
