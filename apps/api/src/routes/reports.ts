import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { BisectRecord } from '@kbisect/contracts';
import { bisectLink, linkBase } from '@kbisect/queue';
import { type BisectReportInput, junitReport, markdownReport, textReport } from '@kbisect/report';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { ApiContext } from '../context.js';
import { Conflict, NotFound } from '../errors/http-errors.js';
import { BisectId, ErrorBody } from '../schemas/http.js';

const IdParams = Type.Object({ id: BisectId });

/** The formats a finished bisect's report comes in: one route each, one renderer each. */
const FORMATS = [
  {
    file: 'report.txt',
    type: 'text/plain; charset=utf-8',
    produces: 'text/plain',
    summary: 'The result as a plain-text regression report: culprit, effect, tested commits, log',
    render: textReport,
  },
  {
    file: 'report.md',
    type: 'text/markdown; charset=utf-8',
    produces: 'text/markdown',
    summary: 'The result as Markdown (a CI job summary or a merge request comment)',
    render: markdownReport,
  },
  {
    file: 'report.xml',
    type: 'application/xml; charset=utf-8',
    produces: 'application/xml',
    summary: 'The result as JUnit XML: one test case per tested commit, as CI systems show them',
    render: junitReport,
  },
] as const;

/** The reports a kernel developer sends to the list or a CI system shows, from a result. */
export async function reportRoutes(root: FastifyInstance, ctx: ApiContext): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  const reportInput = async (
    request: FastifyRequest,
    record: BisectRecord,
  ): Promise<BisectReportInput> => {
    if (!record.result) {
      throw new Conflict(
        `bisect ${record.id} is ${record.status}: the report exists once it has ended; follow it at /v1/bisects/${record.id}/events`,
      );
    }
    const journal = await ctx.stores.journals.read(record.id);
    return {
      result: { ...record.result, journal },
      commits: record.commits ?? [],
      url: bisectLink(linkBase(ctx.config.api, `${request.protocol}://${request.host}`), record.id),
      ...(record.fix ? { fix: record.fix } : {}),
    };
  };

  for (const format of FORMATS) {
    app.get(
      `/v1/bisects/:id/${format.file}`,
      {
        onRequest: app.requireScope('read'),
        schema: {
          summary: format.summary,
          tags: ['bisects'],
          params: IdParams,
          produces: [format.produces],
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
        const input = await reportInput(request, record);
        reply.type(format.type);
        return format.render(input);
      },
    );
  }
}
