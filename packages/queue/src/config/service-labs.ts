import { type LabConfig, loadLabConfig } from '@kbisect/lab';
import { ConfigInvalid } from '../errors/config-invalid.js';
import type { BisectSpec } from '../spec/bisect-spec.js';
import type { SpecProblem } from '../spec/spec-rules.js';
import type { ServiceConfig } from './service-config.js';

/** The labs of a deployment by name, read from the lab config files `config.labs` names. */
export type ServiceLabs = ReadonlyMap<string, LabConfig>;

/**
 * Reads and checks every lab config file of the service configuration. All problems are
 * reported at once (a bad file, a duplicate name), so a broken deployment fails at start.
 */
export async function loadServiceLabs(config: Pick<ServiceConfig, 'labs'>): Promise<ServiceLabs> {
  const labs = new Map<string, LabConfig>();
  const problems: string[] = [];
  for (const [i, file] of (config.labs ?? []).entries()) {
    try {
      const lab = await loadLabConfig(file);
      if (labs.has(lab.name)) problems.push(`labs.${i}: ${file}: a second lab named ${lab.name}`);
      else labs.set(lab.name, lab);
    } catch (error) {
      problems.push(`labs.${i}: ${file}: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigInvalid('labs', problems);
  return labs;
}

/**
 * What the service cannot run in a valid spec (each a 422): a kernel build needs a named lab
 * to boot it on, a named lab must be configured and needs a kernel build, pools are not served
 * yet, and a lab measures with the splice-loopback oracle only.
 */
export function labProblems(spec: BisectSpec, labs: ServiceLabs): SpecProblem[] {
  const lab = spec.lab ?? 'local';
  const kernel = spec.build !== undefined && 'kernel' in spec.build;
  if (lab === 'local') {
    return kernel
      ? [{ path: '/lab', message: 'a kernel build needs a lab to boot it on: name one' }]
      : [];
  }
  if ('pool' in lab) {
    return [
      {
        path: '/lab/pool',
        message: `lab pool ${JSON.stringify(lab.pool)} is not served: name a lab (${names(labs)})`,
      },
    ];
  }
  const problems: SpecProblem[] = [];
  if (!labs.has(lab.name)) {
    problems.push({
      path: '/lab/name',
      message: `unknown lab ${JSON.stringify(lab.name)}: configured labs are ${names(labs)}`,
    });
  }
  if (!kernel) {
    problems.push({ path: '/build', message: 'a lab boots a kernel: use build.kernel' });
  }
  if (spec.oracle.kind !== 'splice-loopback') {
    problems.push({
      path: '/oracle/kind',
      message: 'on a lab the oracle is splice-loopback (command oracles run on lab: local)',
    });
  }
  return problems;
}

const names = (labs: ServiceLabs) =>
  labs.size === 0 ? 'none' : [...labs.keys()].map((n) => JSON.stringify(n)).join(', ');
