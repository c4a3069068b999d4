/**
 * A commit and its parents, as `git rev-list --parents` prints them. Structurally the same
 * as `CommitNode` in @kbisect/core, declared here so this package does not depend on core.
 */
export interface CommitNode {
  sha: string;
  parents: string[];
}
