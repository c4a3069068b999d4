export {
  BuildJob,
  BuildJobResult,
  KernelArtifactRef,
  StoredFileRef,
} from './jobs/build-job.js';
export { CoordinatorJob, CoordinatorJobResult } from './jobs/coordinator-job.js';
export { describeOwner, JobOwner, ownerFromText, ownerKey, ownerText } from './jobs/job-owner.js';
export { LabTestJob, LabTestJobResult } from './jobs/lab-test-job.js';
export { oracleFailedOf, oracleFailedResult } from './jobs/oracle-failed-result.js';
export {
  buildJobId,
  hostQueueName,
  labQueueName,
  labTestJobId,
  labTestQueueOf,
  labTestQueuesServed,
  poolQueueName,
  QUEUE,
  QUEUE_NAME_PART,
  type QueueName,
} from './names.js';
export { type ProgressLine, progressLine } from './progress/progress-line.js';
export { BisectFix } from './record/bisect-fix.js';
export {
  BISECT_STATUSES,
  BisectProgress,
  BisectRecord,
  BisectStatus,
  CommitDescription,
  isTerminal,
  ResolvedRangeSummary,
  TERMINAL_STATUSES,
} from './record/bisect-record.js';
export { redactUrl } from './redact-url.js';
export { BisectSetup, bisectSetupOf, type SetupSource } from './result/bisect-setup.js';
export {
  type CommitSubject,
  commitsToDescribe,
  EXIT,
  errorResultObject,
  exitCodeFor,
  notDistinguishableResultObject,
  type Quantity,
  ResultObject,
  reasonOf,
  resultObjectOf,
} from './result/result-object.js';
export {
  BisectBody,
  BisectSpec,
  BootFailure,
  BuildSpec,
  CommandBuildSpec,
  DecisionSpec,
  LabSpec,
  RecipeName,
} from './spec/bisect-spec.js';
export { MAIL_STATUSES, type MailStatus, MailTarget } from './spec/mail-target.js';
export { directionOf, directionProblems, oracleDirection } from './spec/oracle-direction.js';
export { goodRefs, networkProblems, type SpecProblem, specProblems } from './spec/spec-rules.js';
export {
  bootFailureOf,
  buildCommandOf,
  DEFAULT_BUILD_TIMEOUT_SECONDS,
  DEFAULT_CALIBRATION_SAMPLES,
  type DecisionSetup,
  decisionSetup,
  kernelBuildOf,
} from './spec-to-env.js';
export {
  BisectList,
  BisectSummary,
  BisectView,
  JournalEntryView,
  TestedCommit,
  TestedCommits,
} from './views/bisect-view.js';
export { CallerView } from './views/caller-view.js';
export { WatchView } from './views/watch-view.js';
export {
  DEFAULT_REGRESSION,
  DEFAULT_WATCH_ALPHA,
  DEFAULT_WATCH_SAMPLES,
  isMailTarget,
  isWebhookTarget,
  NightlyKernel,
  NotifyTarget,
  RegressionRule,
  WATCH_RUN_STATUSES,
  WatchBody,
  WatchJob,
  WatchPatch,
  WatchRecord,
  WatchRun,
  type WatchRunStatus,
  WatchSpec,
  WebhookNotifyTarget,
} from './watch/watch-spec.js';
