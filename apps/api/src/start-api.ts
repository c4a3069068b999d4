import { hostname } from 'node:os';
import { ConfigInvalid, Repositories, repositoryRules, type ServiceConfig } from '@kbisect/config';
import { redactUrl } from '@kbisect/contracts';
import {
  closeQueues,
  createQueues,
  createStores,
  openServiceRedis,
  serviceLogger,
} from '@kbisect/queue';
import type { FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import { buildApp } from './app.js';
import type { ApiContext } from './context.js';
import { EventHub } from './events/event-hub.js';

export interface RunningApi {
  app: FastifyInstance;
  /** The address it listens on, e.g. http://127.0.0.1:8080. */
  url: string;
  close(): Promise<void>;
}

export interface StartApiOptions {
  logDestination?: DestinationStream;
}

export interface OpenApi {
  app: FastifyInstance;
  context: ApiContext;
}

/**
 * Connects to Redis and builds the app without listening: tests use `app.inject`, `startApi`
 * listens. Closing the app closes its Redis connections.
 */
export async function openApi(
  config: ServiceConfig,
  options: StartApiOptions = {},
): Promise<OpenApi> {
  if (!config.auth.disabled && config.auth.tokens.length === 0) {
    throw new ConfigInvalid('auth', [
      'no API tokens: set KBISECT_TOKENS=name=token,... or auth.tokens in the config file ' +
        '(auth.disabled: true only on a trusted single-user machine)',
    ]);
  }
  // Requests fail fast while Redis is away (503 at once, never executed later).
  const { redis, logErrorsTo } = await openServiceRedis(
    config.redis.url,
    `kbisect-api-${hostname()}-${process.pid}`,
    { failFast: true },
  );
  const stores = createStores(redis, config);
  const logger = serviceLogger({
    level: config.log.level,
    component: 'api',
    ...(options.logDestination ? { destination: options.logDestination } : {}),
  });
  logErrorsTo((error) => logger.warn({ err: error.message }, 'Redis connection error'));
  const context: ApiContext = {
    config,
    redis,
    stores,
    queues: createQueues(redis, config.redis.prefix),
    repositories: new Repositories(config.cacheDir, repositoryRules(config)),
    hub: new EventHub(stores.events, redis, logger),
  };
  // The connection logs its errors (throttled); without a listener BullMQ prints each again.
  for (const queue of [context.queues.coordinator, context.queues.build, context.queues.watch]) {
    queue.on('error', () => {});
  }
  const app = await buildApp({ context, logger });
  app.addHook('onClose', async () => {
    context.hub.close();
    await closeQueues(context.queues);
    await context.stores.webhooks.close();
    await context.stores.mails.close();
    await redis.quit().catch(() => redis.disconnect());
  });
  return { app, context };
}

/** Connects to Redis, builds the app and listens on `api.host:api.port`. */
export async function startApi(
  config: ServiceConfig,
  options: StartApiOptions = {},
): Promise<RunningApi> {
  const { app, context } = await openApi(config, options);
  const url = await app.listen({ host: config.api.host, port: config.api.port });
  // Workers link to the service in mails and webhook bodies: where it is, port 0 or not.
  await context.stores.links.listening(url);
  app.log.info(
    { url, redis: redactUrl(config.redis.url), prefix: config.redis.prefix },
    'API listening',
  );
  return { app, url, close: () => app.close() };
}
