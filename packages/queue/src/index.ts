export {
  ARTIFACT_DEFAULTS,
  ArtifactStore,
  type ArtifactStoreOptions,
  type StoredArtifact,
} from './artifacts/artifact-store.js';
export { fileSha256 } from './artifacts/file-sha256.js';
export { ENV_OVERRIDES, type LoadConfigOptions, loadConfig } from './config/load-config.js';
export {
  ApiToken,
  GIT_TRANSPORTS,
  type GitTransport,
  Recipe,
  ServiceConfig,
} from './config/service-config.js';
export { labProblems, loadServiceLabs, type ServiceLabs } from './config/service-labs.js';
export * from './errors/index.js';
export { type DiskSpace, describeDiskSpace, diskSpace } from './faults/disk-space.js';
export {
  BuildJob,
  BuildJobResult,
  KernelArtifactRef,
  KernelJobSpec,
  StoredFileRef,
} from './jobs/build-job.js';
export { CoordinatorJob, CoordinatorJobResult } from './jobs/coordinator-job.js';
export { describeOwner, JobOwner, ownerKey, ownerWithdrawn } from './jobs/job-owner.js';
export { LabTestJob, LabTestJobResult } from './jobs/lab-test-job.js';
export { oracleFailedOf, oracleFailedResult } from './jobs/oracle-failed-result.js';
export { type Keys, keys } from './keys.js';
export {
  type BisectRequest,
  type BisectStarter,
  type CreatedBisect,
  createBisect,
  newBisectId,
} from './lifecycle/create-bisect.js';
export { type FinishOptions, finishBisect } from './lifecycle/finish-bisect.js';
export { type ResumeOutcome, resumeBisect } from './lifecycle/resume-bisect.js';
export {
  BisectWebhooks,
  type LifecycleLog,
  webhookSecretFor,
  webhookTargetId,
} from './lifecycle/webhook.js';
export {
  REDACT,
  type ServiceLoggerOptions,
  serviceLogger,
} from './logging/service-logger.js';
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
export {
  closeQueues,
  createQueues,
  INFRASTRUCTURE_BACKOFF,
  type LabTestQueue,
  LabTestQueues,
  type Queues,
} from './queues.js';
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
export {
  type ConnectOptions,
  connectRedis,
  openServiceRedis,
  pingRedis,
  redactUrl,
  type ServiceRedis,
  WAIT_OUT_OUTAGES,
} from './redis.js';
export { Repositories, type RepositoryRules, repositoryRules } from './repositories.js';
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
  KernelBuildSpec,
  LabSpec,
  RecipeName,
} from './spec/bisect-spec.js';
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
export { BisectStore, type ListOptions, type ListPage } from './store/bisect-store.js';
export { ControlChannel, type ControlMessage } from './store/control-channel.js';
export {
  type BisectEventType,
  compareStreamIds,
  EventStream,
  STREAM_ID,
  type StreamEvent,
} from './store/event-stream.js';
export { bodyHash, type ClaimOutcome, IdempotencyKeys } from './store/idempotency.js';
export { JournalStore } from './store/journal-store.js';
export { LabTestHosts } from './store/lab-test-hosts.js';
export {
  STEP_BUCKETS,
  type StepHistogram,
  type StepKind,
  StepMetrics,
} from './store/step-metrics.js';
export { createStores, type Stores } from './store/stores.js';
export { WatchRunLease } from './watch/watch-run-lease.js';
export {
  DEFAULT_REGRESSION,
  DEFAULT_WATCH_ALPHA,
  DEFAULT_WATCH_SAMPLES,
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
} from './watch/watch-spec.js';
export { WatchStore } from './watch/watch-store.js';
