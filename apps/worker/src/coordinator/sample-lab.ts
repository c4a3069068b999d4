import type { LabSpec } from '@kbisect/contracts';

/**
 * Where a commit's sample runs. On a pool the first sample goes to any of its labs, the later
 * ones to the lab that ran the first (`firstLab`, from the first job's result) unless it went
 * down since (then the pool again): a commit's samples are comparable and its kernel boots
 * once. `local` and a named lab are where every sample runs.
 */
export async function sampleLab(
  lab: LabSpec,
  sampleIndex: number,
  firstLab: string | undefined,
  isUp: (lab: string) => Promise<boolean>,
): Promise<LabSpec> {
  if (lab === 'local' || !('pool' in lab) || sampleIndex === 0 || !firstLab) return lab;
  return (await isUp(firstLab)) ? { name: firstLab } : lab;
}
