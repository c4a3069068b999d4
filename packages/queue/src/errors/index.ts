export { ArtifactCorrupt } from './artifact-corrupt.js';
export { ArtifactNotFound } from './artifact-not-found.js';
export { ArtifactTooLarge } from './artifact-too-large.js';
export { BisectRefused } from './bisect-refused.js';
export { JournalConflict } from './journal-conflict.js';
export { RedisUnreachable } from './redis-unreachable.js';
export { WatchRunLeaseLost } from './watch-run-lease-lost.js';
