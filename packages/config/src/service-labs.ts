import type { BisectSpec, SpecProblem } from '@kbisect/contracts';
import { type LabConfig, loadLabConfig } from '@kbisect/lab/config';
import { ConfigInvalid } from './errors/config-invalid.js';
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
 * What the service cannot run in a valid spec (each a 422): a kernel build needs a lab (named,
 * or a pool with at least one configured lab) to boot it on, a lab needs a kernel build, and
 * only a lab can count boot failures as bad. Every oracle kind runs on a lab.
 */
export function labProblems(spec: BisectSpec, labs: ServiceLabs): SpecProblem[] {
  const lab = spec.lab ?? 'local';
  const kernel = spec.build !== undefined && 'kernel' in spec.build;
  const problems: SpecProblem[] = [];
  if (lab === 'local') {
    if (kernel) {
      problems.push({
        path: '/lab',
        message: 'a kernel build needs a lab to boot it on: name one',
      });
    }
    if (spec.bootFailure === 'bad') {
      problems.push({
        path: '/bootFailure',
        message: 'boot failures count as bad on a lab only: lab "local" boots no kernel',
      });
    }
    return problems;
  }
  if ('pool' in lab) {
    const pools = new Set([...labs.values()].map((l) => l.pool));
    if (!pools.has(lab.pool)) {
      problems.push({
        path: '/lab/pool',
        message: `no configured lab is in pool ${JSON.stringify(lab.pool)}: configured pools are ${quoted(pools)}`,
      });
    }
  } else if (!labs.has(lab.name)) {
    problems.push({
      path: '/lab/name',
      message: `unknown lab ${JSON.stringify(lab.name)}: configured labs are ${quoted(labs.keys())}`,
    });
  }
  if (!kernel) {
    problems.push({ path: '/build', message: 'a lab boots a kernel: use build.kernel' });
  }
  return problems;
}

const quoted = (names: Iterable<string>) => {
  const list = [...names].map((n) => JSON.stringify(n));
  return list.length === 0 ? 'none' : list.join(', ');
};
