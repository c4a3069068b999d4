import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { textReport } from '@kbisect/report';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { ApiContext } from '../context.js';
import { Conflict, NotFound } from '../errors/http-errors.js';
import { BisectId, ErrorBody } from '../schemas/http.js';

const IdParams = Type.Object({ id: BisectId });

/** The report a kernel developer sends to the list, in the style of LKP's regression mails. */
export async function reportRoutes(root: FastifyInstance, ctx: ApiContext): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/v1/bisects/:id/report.txt',
    {
      onRequest: app.requireScope('read'),
      schema: {
        summary:
          'The result as a plain-text regression report: culprit, effect, tested commits, log',
        tags: ['bisects'],
        params: IdParams,
        produces: ['text/plain'],
        response: {
          200: Type.String(),
          400: ErrorBody,
          401: ErrorBody,
          404: ErrorBody,
          409: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const record = await ctx.stores.bisects.get(request.params.id);
      if (!record) throw new NotFound(`no bisect with id ${request.params.id}`);
      if (!record.result) {
        throw new Conflict(
          `bisect ${record.id} is ${record.status}: the report exists once it has ended; follow it at /v1/bisects/${record.id}/events`,
        );
      }
      const journal = await ctx.stores.journals.read(record.id);
      const base =
        ctx.config.api.publicUrl?.replace(/\/+$/, '') ?? `${request.protocol}://${request.host}`;
      reply.type('text/plain; charset=utf-8');
      return textReport({
        result: { ...record.result, journal },
        commits: record.commits ?? [],
        url: `${base}/v1/bisects/${record.id}`,
      });
    },
  );
}
