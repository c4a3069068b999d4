import type { CommitNode } from './commit-node.js';
import { GoodEqualsBad } from './errors/good-equals-bad.js';
import { GoodNotAncestor } from './errors/good-not-ancestor.js';
import { NoGoodCommit } from './errors/no-good-commit.js';
import type { Repository } from './repository.js';

export interface RangeRefs {
  good: readonly string[];
  bad: string;
  firstParent?: boolean;
}

/** A checked range, shaped like `BisectRange` in @kbisect/core. */
export interface ResolvedRange {
  bad: string;
  goods: string[];
  commits: CommitNode[];
  firstParent: boolean;
}

/**
 * Turns the refs a user typed into a range the core can bisect, or fails with the error that
 * tells them what to fix: an unknown ref, good equal to bad, or a good commit that is not an
 * ancestor of the bad one.
 */
export async function resolveRange(
  repository: Repository,
  { good, bad, firstParent = false }: RangeRefs,
): Promise<ResolvedRange> {
  if (good.length === 0) throw new NoGoodCommit(bad);
  const badSha = await repository.resolveRef(bad);
  const goods: string[] = [];
  // One at a time: a miss fetches the mirror, and one fetch should serve the refs after it.
  for (const ref of good) {
    const sha = await repository.resolveRef(ref);
    if (sha === badSha) throw new GoodEqualsBad(ref, bad, sha);
    if (!(await repository.isAncestor(sha, badSha)))
      throw new GoodNotAncestor(ref, sha, bad, badSha);
    if (!goods.includes(sha)) goods.push(sha);
  }
  const commits = await repository.revListRange(badSha, goods, { firstParent });
  return { bad: badSha, goods, commits, firstParent };
}
