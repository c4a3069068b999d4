import type { BisectSpec } from '@kbisect/contracts';

/** The labs of a pool that are up now, as the coordinator's worker knows them (KexecLabs). */
export type PoolLabsUp = (pool: string) => Promise<readonly string[]>;

/**
 * How many commits a round of this bisect tests at once (`BisectEnvironment.testSlots`),
 * asked before each round: a pool tests one commit per lab that is up (at most
 * `parallelTests`); `local` tests `parallelTests` side by side, 1 unless the user said the
 * oracle may; a named lab one. A pool this worker has no labs of counts as one lab.
 */
export async function testSlotsOf(
  spec: Pick<BisectSpec, 'lab' | 'parallelTests'>,
  labsUp: PoolLabsUp,
): Promise<number> {
  const lab = spec.lab ?? 'local';
  if (lab === 'local') return spec.parallelTests ?? 1;
  if ('name' in lab) return 1;
  const up = (await labsUp(lab.pool)).length;
  return Math.max(1, Math.min(up, spec.parallelTests ?? up));
}
