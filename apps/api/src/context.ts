import type { Repositories, ServiceConfig } from '@kbisect/config';
import type { Queues, Stores } from '@kbisect/queue';
import type { Redis } from 'ioredis';
import type { EventHub } from './events/event-hub.js';

/** What the routes work with; built once by `startApi`, or by a test around a test Redis. */
export interface ApiContext {
  config: ServiceConfig;
  redis: Redis;
  stores: Stores;
  queues: Queues;
  /** Git mirrors on the API host: refs are resolved here before a bisect is queued. */
  repositories: Repositories;
  hub: EventHub;
}
