import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { ApiContext } from '../context.js';

/** Liveness (the process answers) and readiness (Redis answers too). */
export async function healthRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness',
        tags: ['operations'],
        response: { 200: Type.Object({ ok: Type.Boolean() }) },
      },
    },
    async () => ({ ok: true }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: Redis answers PING',
        tags: ['operations'],
        response: {
          200: Type.Object({ ok: Type.Boolean(), redis: Type.String() }),
          503: Type.Object({ ok: Type.Boolean(), redis: Type.String() }),
        },
      },
    },
    async (_request, reply) => {
      try {
        await Promise.race([
          ctx.redis.ping(),
          new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 1000).unref()),
        ]);
        return { ok: true, redis: 'ok' };
      } catch (error) {
        return reply.status(503).send({ ok: false, redis: (error as Error).message });
      }
    },
  );
}
