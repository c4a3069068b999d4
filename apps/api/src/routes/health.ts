import { describeDiskSpace, diskSpace } from '@kbisect/queue';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { ApiContext } from '../context.js';
import { cacheDirProblem } from '../git/cache-dir.js';

const Readiness = Type.Object({
  ok: Type.Boolean(),
  redis: Type.String(),
  cache: Type.String({ description: '"ok", or why the cache directory cannot be written' }),
  disk: Type.Optional(Type.String({ description: 'free space of cacheDir, and the floor' })),
});

/**
 * Liveness (the process answers) and readiness (Redis answers, the cache is writable and has
 * at least `infrastructure.minFreeMb` free: mirrors and worktrees are written there).
 */
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
        summary: 'Readiness: Redis answers PING, the cache directory is writable and has room',
        tags: ['operations'],
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (_request, reply) => {
      const cache = (await cacheDirProblem(ctx.config.cacheDir)) ?? 'ok';
      let redis = 'ok';
      const disk = diskReadiness(ctx.config.cacheDir, ctx.config.infrastructure.minFreeMb);
      try {
        await Promise.race([
          ctx.redis.ping(),
          new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 1000).unref()),
        ]);
      } catch (error) {
        redis = (error as Error).message;
      }
      const ok = redis === 'ok' && cache === 'ok' && disk.ok;
      return reply.status(ok ? 200 : 503).send({ ok, redis, cache, disk: disk.text });
    },
  );
}

/** "12.0 MB free of 64.0 MB in /cache, below the floor of 512 MB": not ready below the floor. */
function diskReadiness(cacheDir: string, minFreeMb: number): { ok: boolean; text: string } {
  const space = diskSpace(cacheDir);
  if (!space) return { ok: true, text: `free space of ${cacheDir} unknown` };
  const ok = minFreeMb === 0 || space.freeBytes >= minFreeMb * 1024 ** 2;
  return {
    ok,
    text: `${describeDiskSpace(space)}${ok ? '' : `, below the floor of ${minFreeMb} MB (infrastructure.minFreeMb)`}`,
  };
}
