export { GitCommandFailed } from './git-command-failed.js';
export { GoodEqualsBad } from './good-equals-bad.js';
export { GoodNotAncestor } from './good-not-ancestor.js';
export { MirrorLocked } from './mirror-locked.js';
export { NoGoodCommit } from './no-good-commit.js';
export { RepositoryNotFound } from './repository-not-found.js';
export { UnknownRef } from './unknown-ref.js';
