import type { SimpleGit } from 'simple-git';
import type { CommitNode } from './commit-node.js';
import { assertSha } from './sha.js';

export interface RevListOptions {
  /** Walk only first parents, like `git bisect start --first-parent`. */
  firstParent?: boolean;
}

/**
 * The commits reachable from `bad` and from no good commit, newest first (git's default
 * order), each with all of its parents even when walking first parents only: the core needs
 * to know a commit is a merge to explain a culprit.
 */
export async function revListRange(
  git: SimpleGit,
  bad: string,
  goods: readonly string[],
  { firstParent = false }: RevListOptions = {},
): Promise<CommitNode[]> {
  assertSha(bad, 'bad');
  for (const good of goods) assertSha(good, 'good');
  const args = ['rev-list', '--parents'];
  if (firstParent) args.push('--first-parent');
  args.push(bad, ...goods.map((good) => `^${good}`), '--');
  return parseRevListParents(await git.raw(args));
}

export function parseRevListParents(output: string): CommitNode[] {
  return output
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const [sha = '', ...parents] = line.trim().split(' ');
      return { sha, parents };
    });
}
