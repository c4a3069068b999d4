/** A commit and its parents, as `git rev-list --parents` prints them. */
export interface CommitNode {
  sha: string;
  parents: string[];
}

/**
 * What is being bisected: the bad commit, the good ones, and the commit graph between them:
 * every commit reachable from `bad` and from no good commit (`git rev-list --parents bad
 * ^good1 ^good2 ...`). Parents outside that set are ancestors of a good commit.
 */
export interface BisectRange {
  bad: string;
  goods: string[];
  commits: CommitNode[];
  /** Follow only the first parent of merges, like `git bisect start --first-parent`. */
  firstParent?: boolean;
}
