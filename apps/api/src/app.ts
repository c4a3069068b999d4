import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
} from 'fastify';
import type { Logger } from 'pino';
import { installAuth, redactTokenInUrl } from './auth/install-auth.js';
import { TokenTable } from './auth/tokens.js';
import type { ApiContext } from './context.js';
import { installErrorHandler } from './errors/error-handler.js';
import { registerDashboard } from './plugins/dashboard.js';
import { registerDocs } from './plugins/docs.js';
import { installRedisGate } from './plugins/redis-gate.js';
import { registerWebPage } from './plugins/web-page.js';
import { bisectCommitRoutes } from './routes/bisect-commits.js';
import { bisectFixedRoutes } from './routes/bisect-fixed.js';
import { bisectResumeRoutes } from './routes/bisect-resume.js';
import { bisectRoutes } from './routes/bisects.js';
import { callerRoutes } from './routes/caller.js';
import { eventRoutes } from './routes/events.js';
import { healthRoutes } from './routes/health.js';
import { metricRoutes } from './routes/metrics.js';
import { reportRoutes } from './routes/reports.js';
import { watchRoutes } from './routes/watches.js';

export interface BuildAppOptions {
  context: ApiContext;
  logger: Logger;
}

/**
 * The API as a Fastify instance, not listening: `startApi` listens, tests call `inject`.
 * Every route declares its schemas; validation, the OpenAPI document and the 400 messages
 * come from them.
 */
export async function buildApp({ context, logger }: BuildAppOptions): Promise<FastifyInstance> {
  const { config } = context;
  const app = Fastify({
    // A token in a query string (refused, see installAuth) must not reach the log either.
    loggerInstance: logger.child({}, { serializers: { req: requestForLog } }) as FastifyBaseLogger,
    bodyLimit: config.api.bodyLimitBytes,
    // Unknown fields are refused, not dropped: a typo like "orcale" must be a 400.
    ajv: { customOptions: { removeAdditional: false, discriminator: true, verbose: true } },
  });
  // Response schemas document the API; JSON.stringify keeps every field the store returns.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  installErrorHandler(app, context.redis);
  installRedisGate(app, context.redis);
  installAuth(app, {
    tokens: new TokenTable(config.auth.tokens, config.auth.metricsToken),
    disabled: config.auth.disabled,
    readsNeedToken: config.auth.readsNeedToken,
  });
  await registerDocs(app);
  await app.register(async (scope) => {
    await healthRoutes(scope, context);
    await metricRoutes(scope, context);
    await bisectRoutes(scope, context);
    await bisectResumeRoutes(scope, context);
    await bisectFixedRoutes(scope, context);
    await bisectCommitRoutes(scope, context);
    await callerRoutes(scope, {
      readsNeedToken: config.auth.readsNeedToken && !config.auth.disabled,
    });
    await eventRoutes(scope, context);
    await reportRoutes(scope, context);
    await watchRoutes(scope, context);
  });
  await registerDashboard(app, context);
  await registerWebPage(app);
  return app;
}

/** What Fastify logs of a request, as its default serializer, with credentials out of the URL. */
function requestForLog(request: FastifyRequest) {
  return {
    method: request.method,
    url: redactTokenInUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
