import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { BisectFix, isTerminal } from '@kbisect/contracts';
import { UnknownRef } from '@kbisect/git';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { checkBisectOwner } from '../auth/policy.js';
import type { Caller } from '../auth/tokens.js';
import type { ApiContext } from '../context.js';
import { Conflict, NotFound, Unprocessable } from '../errors/http-errors.js';
import { BisectId, ErrorBody } from '../schemas/http.js';

const FixBody = Type.Object(
  {
    commit: Type.String({
      minLength: 1,
      maxLength: 256,
      description: 'the fix: a sha, tag or branch of the bisect repository',
    }),
    note: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);

/**
 * POST /v1/bisects/:id/fixed: records the commit that fixed what the bisect found, as syzbot
 * tracks fixes. The fix must contain the culprit (be a descendant of it): a "fix" the culprit
 * never reached fixes something else. Recorded again, it replaces the earlier one.
 */
export async function bisectFixedRoutes(root: FastifyInstance, ctx: ApiContext): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    '/v1/bisects/:id/fixed',
    {
      onRequest: app.requireScope('write'),
      schema: {
        summary: 'Record the commit that fixed what the bisect found',
        description:
          'Only an ended bisect that found a culprit or narrowed it down can be fixed (409 ' +
          'otherwise); the commit must exist in the repository (422) and, for a found culprit, ' +
          'contain it (422). Every report of the bisect says so afterwards.',
        tags: ['bisects'],
        security: [{ bearer: [] }],
        params: Type.Object({ id: BisectId }),
        body: FixBody,
        response: {
          200: BisectFix,
          ...Object.fromEntries([400, 401, 403, 404, 409, 422].map((code) => [code, ErrorBody])),
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const record = await ctx.stores.bisects.get(id);
      if (!record) throw new NotFound(`no bisect with id ${id}`);
      await checkBisectOwner(request.caller as Caller, record, ctx.stores.watches, 'fix');
      const status = record.result?.status;
      if (!isTerminal(record.status) || (status !== 'found' && status !== 'inconclusive')) {
        throw new Conflict(
          `bisect ${id} is ${record.status}${status ? ` (${status})` : ''}: only a bisect that found a culprit or its candidates has something to fix`,
        );
      }
      const repository = await ctx.repositories.get(record.spec.repo);
      let sha: string;
      try {
        sha = await repository.resolveRef(request.body.commit);
      } catch (error) {
        if (!(error instanceof UnknownRef)) throw error;
        throw new Unprocessable(error.message, [{ path: 'body/commit', message: error.message }]);
      }
      const culprit = record.result?.culprit;
      if (culprit && !(await repository.isAncestor(culprit, sha))) {
        const message = `${sha} does not contain the culprit ${culprit}: it cannot be its fix`;
        throw new Unprocessable(message, [{ path: 'body/commit', message }]);
      }
      const info = await repository.commitInfo(sha);
      const fix: BisectFix = {
        commit: sha,
        subject: info.subject,
        describe: info.describe,
        by: request.caller?.name ?? 'anonymous',
        at: new Date().toISOString(),
        ...(request.body.note ? { note: request.body.note } : {}),
      };
      await ctx.stores.bisects.update(id, { fix });
      request.log.info({ bisectId: id, fix: sha, by: fix.by }, 'fix recorded');
      return fix;
    },
  );
}
