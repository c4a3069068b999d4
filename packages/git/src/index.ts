export type { CommitInfo } from './commit-info.js';
export type { CommitNode } from './commit-node.js';
export * from './errors/index.js';
export { DEFAULT_NETWORK_LIMITS, type NetworkLimits } from './git-network.js';
export { type OpenRepositoryOptions, openRepository } from './mirror.js';
export { type RangeRefs, type ResolvedRange, resolveRange } from './range.js';
export type { Repository, RevertCommit } from './repository.js';
export type { RevListOptions } from './rev-list.js';
export type { RevertWorktree } from './revert.js';
export {
  checkSource,
  matchesPattern,
  type SourcePolicy,
  transportOf,
} from './source-policy.js';
export type { Worktree } from './worktree.js';
export {
  removeAllWorktrees,
  removeAllWorktreesSync,
  trackedWorktrees,
} from './worktree-registry.js';
export {
  type AcquireOptions,
  isSlot,
  isSlotPath,
  readSlotHold,
  releaseSlot,
  releaseSlotsOf,
  type SlotHold,
  type SlotHolder,
  slotProblem,
  slotsDirOf,
  WorktreeSlots,
} from './worktree-slots.js';
