/**
 * What a test needs from this machine, without vitest (the global setup cannot import it):
 * the shape of a requirement and the error that fails a test lacking it. The helpers that
 * fail suites are in requirements.ts.
 */
export interface Requirement {
  /** What the tests need, as a person names it: "sshd", "xmllint", "Redis". */
  readonly name: string;
  /** Why it is not usable here, or undefined when it is. */
  readonly missing: string | undefined;
  /** What to run to get it. */
  readonly install: string;
  /** The Debian package that has it, when one does (the README's install line names it). */
  readonly debianPackage?: string;
}

/** The README's "On a fresh machine" line installs every package `npm test` needs. */
const README_LINE = "the README's fresh-machine line installs everything `npm test` needs";

/** Thrown where a test lacks what it needs: the message says how to get it. */
export class RequirementMissing extends Error {
  override readonly name = 'RequirementMissing';
  constructor(readonly requirements: readonly Requirement[]) {
    super(`${explain(requirements)} (${README_LINE})`);
  }
}

export function explain(requirements: readonly Requirement[]): string {
  return requirements.map((r) => `${r.missing}: ${r.install}`).join('; ');
}
