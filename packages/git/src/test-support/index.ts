export { makeRepo, type TestRepo } from './make-repo.js';
export { type MergeHistory, makeMergeHistory } from './merge-history.js';
export { makeTempDir } from './temp-dir.js';
