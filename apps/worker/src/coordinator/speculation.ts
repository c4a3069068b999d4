import type { BisectSpec, LabSpec } from '@kbisect/contracts';
import { measuresPerformance } from '@kbisect/oracle';

/** Whether a lab, or any lab of a pool, runs on the build host's cores (`sharesBuildHost`). */
export type SharesBuildHost = (lab: Exclude<LabSpec, 'local'>) => boolean;

export type Speculation = { on: true } | { on: false; why: string };

/**
 * Whether a bisect builds ahead (`BisectEnvironment.speculate`), and if not, why. Builds ahead
 * run on the build host's cores, and they run while the step is measured: an oracle that
 * measures performance on a lab sharing those cores (`lab: local`, or a lab whose config says
 * `sharesBuildHost`, such as a VM on the build host) would measure the builds too. Such a
 * bisect builds nothing ahead; an exit code does not care, and a lab elsewhere neither. Only
 * the user knows a metric that load does not change (a size, a count): `speculate: true`
 * builds ahead even then, `speculate: false` never.
 */
export function speculationOf(
  spec: Pick<BisectSpec, 'speculate' | 'oracle' | 'lab'>,
  sharesBuildHost: SharesBuildHost,
): Speculation {
  if (spec.speculate === false) return { on: false, why: 'the bisect says speculate: false' };
  if (spec.speculate === true) return { on: true };
  if (!measuresPerformance(spec.oracle)) return { on: true };
  const lab = spec.lab ?? 'local';
  const measured = `the ${spec.oracle.kind} oracle measures`;
  const slowed = 'builds would slow what it measures';
  if (lab === 'local')
    return { on: false, why: `${measured} on the build host (lab local): ${slowed}` };
  if (!sharesBuildHost(lab)) return { on: true };
  const where = 'name' in lab ? `lab ${lab.name}` : `a lab of pool ${lab.pool}`;
  return {
    on: false,
    why: `${measured} on ${where}, which shares the build host's cores (sharesBuildHost): ${slowed}`,
  };
}
