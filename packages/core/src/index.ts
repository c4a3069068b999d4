export { bestCommits } from './best-commits.js';
export { type BisectLogOptions, toBisectLog } from './bisect-log.js';
export {
  type CommitRetestCheck,
  type ConfirmationRetest,
  confirmationRepair,
  MAX_CONFIRMATION_REPAIRS,
} from './confirmation-repair.js';
export { culpritWarnings, type FinishedBisect, sameKernel } from './culprit-warnings.js';
export type * from './decision.js';
export * from './driver/index.js';
export { InvalidJournal, InvalidRange } from './errors/index.js';
export type * from './evidence.js';
export { formatDuration } from './format-duration.js';
export type * from './journal.js';
export { type NextStepOptions, nextStep, ONLY_SKIPPED_LEFT } from './next-step.js';
export type * from './range.js';
export type * from './result.js';
export * from './stats/index.js';
export { estimateBisectSteps, estimateRoundsLeft, roundsFor } from './steps.js';
export { estimateTimeLeft, type TestCost, type TimeLeftInput, testCost } from './time-left.js';
export type * from './verdict.js';
export { type WhatIf, whatIf } from './what-if.js';
