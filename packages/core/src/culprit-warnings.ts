import type { Confirmation } from './driver/run-bisect.js';
import type { BuildEvidence } from './evidence.js';
import type { JournalEntry } from './journal.js';
import type { BisectRange } from './range.js';
import type { BisectResult } from './result.js';

/** What the warnings read of a finished bisect; `BisectOutcome` is one. */
export interface FinishedBisect {
  result: BisectResult;
  journal: readonly JournalEntry[];
  confirmations: readonly Confirmation[];
}

/**
 * Whether two builds made a kernel that executes exactly the same code (equal signatures).
 * Undefined when either signature is unknown: a build command has none, nothing is known.
 */
export function sameKernel(
  a: Pick<BuildEvidence, 'signature'> | undefined,
  b: Pick<BuildEvidence, 'signature'> | undefined,
): boolean | undefined {
  if (!a?.signature || !b?.signature) return undefined;
  return a.signature === b.signature;
}

/**
 * Doubts about a found culprit that its report must state next to it. Today the "no-op
 * change" check syzkaller makes: when the culprit's kernel executes what one of its parents'
 * kernels executes, the commit cannot have changed the kernel's behaviour, and the verdict
 * came from the test or from noise. Every build of the culprit and of its parents counts, in
 * the journal and in the confirmations. Without signatures (build commands) nothing is said.
 */
export function culpritWarnings(outcome: FinishedBisect, range: BisectRange): string[] {
  const suspect = suspectOf(outcome);
  if (!suspect) return [];
  const { culprit, who } = suspect;
  const builds = buildsByCommit(outcome);
  const culpritBuilds = builds.get(culprit) ?? [];
  const parents = range.commits.find((c) => c.sha === culprit)?.parents ?? [];
  const warnings: string[] = [];
  parents.forEach((parent, index) => {
    const parentBuilds = builds.get(parent) ?? [];
    const same = culpritBuilds.find((mine) =>
      parentBuilds.some((theirs) => sameKernel(mine, theirs)),
    );
    if (same?.signature) {
      warnings.push(noOpWarning(who, same.signature, parent, index, parents.length));
    }
  });
  return warnings;
}

/**
 * The commit the warnings are about: the culprit, or the only candidate left when a
 * confirmation failed (a no-op change is a likely reason why it failed, so say it there too).
 */
function suspectOf(outcome: FinishedBisect): { culprit: string; who: string } | undefined {
  const { result } = outcome;
  if (result.kind === 'found') return { culprit: result.culprit, who: "the culprit's" };
  const [only, ...more] = result.kind === 'inconclusive' ? result.candidates : [];
  if (only && more.length === 0 && outcome.confirmations.length > 0) {
    return { culprit: only, who: "the only candidate's" };
  }
  return undefined;
}

/** The builds that produced a verdict on each commit, with a signature to compare. */
function buildsByCommit(outcome: FinishedBisect): Map<string, BuildEvidence[]> {
  const entries = [
    ...outcome.journal,
    // The revert check builds the bad commit with the culprit reverted: its entry names the
    // bad commit, but its kernel is another one.
    ...outcome.confirmations
      .filter((c) => c.check !== 'revert-is-good')
      .flatMap((c) => (c.entry ? [c.entry] : [])),
  ];
  const builds = new Map<string, BuildEvidence[]>();
  for (const entry of entries) {
    const build = entry.evidence?.build;
    if (!build?.ok || !build.signature) continue;
    builds.set(entry.commit, [...(builds.get(entry.commit) ?? []), build]);
  }
  return builds;
}

function noOpWarning(
  who: string,
  signature: string,
  parent: string,
  index: number,
  parents: number,
): string {
  const { same, name } = signatureWords(signature);
  const merge = parents > 1;
  const whose = merge
    ? `its parent ${parent.slice(0, 12)}'s (parent ${index + 1} of ${parents}; ${name})`
    : `its parent's (${name})`;
  return (
    `${who} kernel ${same} ${whose}: the ${merge ? 'merge' : 'commit'} probably does ` +
    'not change the kernel; suspect the test or noise'
  );
}

/** How to say what an equal signature proves, by its kind (`text:` or `image:` sha256). */
function signatureWords(signature: string): { same: string; name: string } {
  const colon = signature.indexOf(':');
  const kind = colon > 0 ? signature.slice(0, colon) : '';
  const digest = `${signature.slice(colon + 1, colon + 13)}…`;
  switch (kind) {
    case 'text':
      return { same: 'has the same code as', name: `.text signature ${digest}` };
    case 'image':
      return { same: 'is the same image as', name: `image sha256 ${digest}` };
    default:
      return { same: 'has the same build signature as', name: `signature ${digest}` };
  }
}
