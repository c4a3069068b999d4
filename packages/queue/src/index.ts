export {
  ArtifactStore,
  type ArtifactStoreOptions,
  type StoredArtifact,
} from './artifacts/artifact-store.js';
export { fileSha256 } from './artifacts/file-sha256.js';
export * from './errors/index.js';
export { type DiskSpace, describeDiskSpace, diskSpace } from './faults/disk-space.js';
export { type Keys, keys } from './keys.js';
export {
  type BisectRequest,
  type BisectStarter,
  type CreatedBisect,
  createBisect,
  newBisectId,
} from './lifecycle/create-bisect.js';
export { type FinishOptions, finishBisect } from './lifecycle/finish-bisect.js';
export { BisectMails, type FinishedBisect } from './lifecycle/mail.js';
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
  closeQueues,
  createQueues,
  INFRASTRUCTURE_BACKOFF,
  type LabTestQueue,
  LabTestQueues,
  type Queues,
} from './queues.js';
export {
  type ConnectOptions,
  connectRedis,
  openServiceRedis,
  pingRedis,
  type ServiceRedis,
  WAIT_OUT_OUTAGES,
} from './redis.js';
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
export { ownerEnded, ownerWithdrawn } from './store/owner-withdrawn.js';
export { bisectLink, linkBase, ServiceLinks, watchLink } from './store/service-links.js';
export {
  STEP_BUCKETS,
  type StepHistogram,
  type StepKind,
  StepMetrics,
} from './store/step-metrics.js';
export { createStores, type Stores } from './store/stores.js';
export { COALESCED, type WatchRunAttempt, WatchRunLease } from './watch/watch-run-lease.js';
export { WatchStore } from './watch/watch-store.js';
