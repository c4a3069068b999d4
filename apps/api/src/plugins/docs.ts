import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/**
 * The OpenAPI document, generated from the route schemas, and its UI at /docs: a read like
 * any other, so it needs a token unless reads are open (auth.readsNeedToken).
 */
export async function registerDocs(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'kbisect',
        description:
          'Finds the commit behind a Linux kernel regression: POST a good/bad range, follow the ' +
          'bisect live, get the culprit with its evidence.',
        version: '0.1.0',
      },
      tags: [
        { name: 'bisects', description: 'submit, follow, cancel, mark' },
        { name: 'operations', description: 'health, readiness, metrics' },
      ],
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      },
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiHooks: { onRequest: app.requireScope('read') },
  });
}
