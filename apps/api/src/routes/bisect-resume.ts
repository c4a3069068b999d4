import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { resumeBisect } from '@kbisect/queue';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { checkBisectOwner } from '../auth/policy.js';
import type { Caller } from '../auth/tokens.js';
import type { ApiContext } from '../context.js';
import { Conflict, NotFound } from '../errors/http-errors.js';
import { BisectId, ErrorBody } from '../schemas/http.js';

const Resumed = Type.Object({
  id: Type.String(),
  status: Type.Literal('queued'),
  after: Type.Optional(
    Type.String({ description: 'follow the events after this id (?after=) to skip the old end' }),
  ),
});

/**
 * POST /v1/bisects/:id/resume: a bisect that ended in `error` (a disk full for longer than the
 * retries waited, a lab gone) runs again from its journal; nothing recorded is measured again.
 */
export async function bisectResumeRoutes(root: FastifyInstance, ctx: ApiContext): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    '/v1/bisects/:id/resume',
    {
      onRequest: app.requireScope('write'),
      schema: {
        summary: 'Resume a bisect that ended in error, from its journal',
        description:
          'Only a bisect in `error` can be resumed (409 otherwise): a cancelled one was ' +
          "somebody's decision (start a new bisect), the other ends are results.",
        tags: ['bisects'],
        security: [{ bearer: [] }],
        params: Type.Object({ id: BisectId }),
        response: {
          202: Resumed,
          ...Object.fromEntries([400, 401, 403, 404, 409].map((code) => [code, ErrorBody])),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const record = await ctx.stores.bisects.get(id);
      if (!record) throw new NotFound(`no bisect with id ${id}`);
      await checkBisectOwner(request.caller as Caller, record, ctx.stores.watches, 'resume');
      const outcome = await resumeBisect(ctx.stores, ctx.queues, id);
      if (outcome.kind === 'not-in-error') {
        const now = (await ctx.stores.bisects.get(id))?.status ?? record.status;
        throw new Conflict(
          `bisect ${id} is ${now}: only a bisect that ended in error can be resumed` +
            (now === 'cancelled' ? ' (a cancelled one cannot: start a new bisect)' : ''),
        );
      }
      request.log.info({ bisectId: id, by: request.caller?.name }, 'bisect resumed');
      return reply.status(202).send({
        id,
        status: 'queued' as const,
        ...(outcome.after ? { after: outcome.after } : {}),
      });
    },
  );
}
