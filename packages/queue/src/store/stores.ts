import type { ServiceConfig } from '@kbisect/config';
import type { Redis } from 'ioredis';
import { ArtifactStore } from '../artifacts/artifact-store.js';
import { type Keys, keys } from '../keys.js';
import { BisectMails } from '../lifecycle/mail.js';
import { BisectWebhooks } from '../lifecycle/webhook.js';
import { WatchRunLease } from '../watch/watch-run-lease.js';
import { WatchStore } from '../watch/watch-store.js';
import { BisectStore } from './bisect-store.js';
import { ControlChannel } from './control-channel.js';
import { EventStream } from './event-stream.js';
import { IdempotencyKeys } from './idempotency.js';
import { JournalStore } from './journal-store.js';
import { LabTestHosts } from './lab-test-hosts.js';
import { ServiceLinks } from './service-links.js';
import { StepMetrics } from './step-metrics.js';

/** Everything the service keeps in Redis besides BullMQ's own queues. */
export interface Stores {
  keys: Keys;
  bisects: BisectStore;
  journals: JournalStore;
  events: EventStream;
  idempotency: IdempotencyKeys;
  control: ControlChannel;
  stepMetrics: StepMetrics;
  watches: WatchStore;
  /** One run at a time per watch, across workers. */
  watchRuns: WatchRunLease;
  /** `bisect.finished` to a bisect's webhook, signed and retried through the webhook queue. */
  webhooks: BisectWebhooks;
  /** The report mails of a bisect's `notify`, queued on the same delivery queue. */
  mails: BisectMails;
  /** Kernel images and modules, from build workers to lab workers on other hosts. */
  artifacts: ArtifactStore;
  /** The worker hosts, whose `lab-test.host.<host>` queues the API shows. */
  labTestHosts: LabTestHosts;
  /** Links to the service in mails and webhook bodies. */
  links: ServiceLinks;
}

export function createStores(redis: Redis, config: ServiceConfig): Stores {
  const k = keys(config.redis.prefix);
  const links = new ServiceLinks(redis, k, config.api);
  return {
    keys: k,
    bisects: new BisectStore(redis, k),
    journals: new JournalStore(redis, k),
    events: new EventStream(redis, k, config.events.maxLen),
    idempotency: new IdempotencyKeys(redis, k, config.idempotency.ttlSeconds),
    control: new ControlChannel(redis, k),
    stepMetrics: new StepMetrics(redis, k),
    watches: new WatchStore(redis, config.redis.prefix),
    watchRuns: new WatchRunLease(redis, config.redis.prefix),
    webhooks: new BisectWebhooks(redis, config, links),
    mails: new BisectMails(redis, config),
    artifacts: new ArtifactStore(redis, k, config.artifacts),
    labTestHosts: new LabTestHosts(redis, k),
    links,
  };
}
