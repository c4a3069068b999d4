import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { ApiContext } from '../context.js';
import { cacheDirProblem } from '../git/cache-dir.js';

const Readiness = Type.Object({
  ok: Type.Boolean(),
  redis: Type.String(),
  cache: Type.String({ description: '"ok", or why the cache directory cannot be written' }),
});

/** Liveness (the process answers) and readiness (Redis answers, the cache is writable). */
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
        summary: 'Readiness: Redis answers PING and the cache directory is writable',
        tags: ['operations'],
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (_request, reply) => {
      const cache = (await cacheDirProblem(ctx.config.cacheDir)) ?? 'ok';
      let redis = 'ok';
      try {
        await Promise.race([
          ctx.redis.ping(),
          new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 1000).unref()),
        ]);
      } catch (error) {
        redis = (error as Error).message;
      }
      const ok = redis === 'ok' && cache === 'ok';
      return reply.status(ok ? 200 : 503).send({ ok, redis, cache });
    },
  );
}
