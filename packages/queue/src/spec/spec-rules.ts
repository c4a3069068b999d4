import { oracleSpecProblems } from '@kbisect/oracle';
import type { BisectSpec } from './bisect-spec.js';

/** One thing wrong with a request, named by its JSON path, as the 400 body lists them. */
export interface SpecProblem {
  path: string;
  message: string;
}

/**
 * The rules a JSON schema cannot say: fields that only make sense together. They are the
 * same rules `kbisect run` applies to its flags, so the CLI and the API refuse the same specs.
 */
export function specProblems(spec: BisectSpec): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const decision = spec.decision ?? {};
  if (decision.threshold !== undefined && spec.oracle.kind !== 'metric') {
    problems.push({
      path: '/decision/threshold',
      message: `applies to oracle kind "metric" only, not "${spec.oracle.kind}"`,
    });
  }
  if (
    decision.samples !== undefined &&
    decision.maxSamples !== undefined &&
    decision.maxSamples < decision.samples
  ) {
    problems.push({
      path: '/decision/maxSamples',
      message: `${decision.maxSamples} is below samples ${decision.samples}`,
    });
  }
  // The same checks the worker's oracleFor makes: bad flags or files are a 400 now, not a
  // failed first sample.
  for (const problem of oracleSpecProblems(spec.oracle)) {
    problems.push({ path: `/oracle${problem.path}`, message: problem.message });
  }
  return problems;
}

/** The good refs as a list, whichever form the request used. */
export function goodRefs(spec: BisectSpec): string[] {
  return typeof spec.good === 'string' ? [spec.good] : [...spec.good];
}
