import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { TestedCommits } from '@kbisect/contracts';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { ApiContext } from '../context.js';
import { NotFound } from '../errors/http-errors.js';
import { rangeOf } from '../git/range-commits.js';
import { BisectId, ErrorBody } from '../schemas/http.js';

/**
 * `GET /v1/bisects/:id/tested-commits`: the commits a bisect tested, in history order, with
 * their subjects: the journal is in the order of the steps, a chart of the range wants the
 * order of the commits. The good endpoints come first, then the range from old to new.
 */
export async function bisectCommitRoutes(root: FastifyInstance, ctx: ApiContext): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/v1/bisects/:id/tested-commits',
    {
      onRequest: app.requireScope('read'),
      schema: {
        summary: 'The commits a bisect tested, oldest first, with subject and author',
        tags: ['bisects'],
        params: Type.Object({ id: BisectId }),
        response: { 200: TestedCommits, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      const record = await ctx.stores.bisects.get(request.params.id);
      if (!record) throw new NotFound(`no bisect with id ${request.params.id}`);
      const tested = new Set((await ctx.stores.journals.read(record.id)).map((e) => e.commit));
      if (tested.size === 0) return { id: record.id, commits: [] };
      const range = await rangeOf(ctx.repositories, record);
      // rev-list lists the range newest first.
      const inRange = range.commits.map((c) => c.sha).reverse();
      const order = [...range.goods, ...inRange.filter((sha) => !range.goods.includes(sha))];
      const position = new Map(order.map((sha, index) => [sha, index]));
      const shas = [...tested].sort(
        (a, b) => (position.get(a) ?? order.length) - (position.get(b) ?? order.length),
      );
      const repository = await ctx.repositories.get(record.spec.repo);
      const infos = new Map((await repository.commitInfos(shas)).map((c) => [c.sha, c]));
      return {
        id: record.id,
        commits: shas.flatMap((sha) => {
          const info = infos.get(sha);
          if (!info) return [];
          const place = range.goods.includes(sha)
            ? ('good' as const)
            : position.has(sha)
              ? ('range' as const)
              : ('outside' as const);
          const { subject, author, authorDate, describe } = info;
          return [{ sha, subject, author, authorDate, describe, place }];
        }),
      };
    },
  );
}
