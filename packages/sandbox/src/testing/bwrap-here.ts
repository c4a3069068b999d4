import { BWRAP_INSTALL, findBwrap, probeBwrap } from '../bwrap.js';

/**
 * Why bwrap cannot be tested on this machine, or undefined when it can. Tests that need it
 * skip with this reason, except under CI=true, where `requireBwrapInCi` makes them fail.
 */
export async function bwrapProblemHere(): Promise<string | undefined> {
  const bwrap = await findBwrap();
  if (!bwrap) return `bwrap is not installed (${BWRAP_INSTALL})`;
  const problem = await probeBwrap(bwrap);
  return problem ? `bwrap does not work here: ${problem}` : undefined;
}

/** The message of a test that must not skip in CI. */
export function bwrapMissingInCi(problem: string): string {
  return `${problem}; CI must run the sandbox tests: ${BWRAP_INSTALL}`;
}
