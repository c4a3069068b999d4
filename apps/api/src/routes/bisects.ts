import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { loadServiceLabs } from '@kbisect/config';
import {
  BISECT_STATUSES,
  BisectBody,
  type BisectRecord,
  type BisectStatus,
  isTerminal,
} from '@kbisect/contracts';
import { type JournalEntry, toBisectLog } from '@kbisect/core';
import { RepositoryRefused } from '@kbisect/git';
import { DeliveryLog } from '@kbisect/notify';
import { BisectRefused, bisectLink, createBisect, finishBisect, linkBase } from '@kbisect/queue';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { admit, checkBisectOwner as checkOwnerOfBisect } from '../auth/policy.js';
import type { Caller } from '../auth/tokens.js';
import type { ApiContext } from '../context.js';
import {
  BadRequest,
  Conflict,
  Forbidden,
  inBody,
  NotFound,
  ServiceUnavailable,
  Unprocessable,
} from '../errors/http-errors.js';
import { cacheDirProblem, describeCacheError } from '../git/cache-dir.js';
import { rangeOf } from '../git/range-commits.js';
import {
  BisectId,
  BisectList,
  BisectView,
  Created,
  DeliveryList,
  ErrorBody,
  ManualVerdict,
  VerdictRecorded,
} from '../schemas/http.js';

const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((code) => [code, ErrorBody])) as Record<number, typeof ErrorBody>;

const IdParams = Type.Object({ id: BisectId });

const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x21-\\x7e]+$',
      description: 'a retry with the same key and body returns the same bisect',
    }),
  ),
});

/** A refusal of `createBisect` as the HTTP answer that says it; anything else as it is. */
function httpErrorOf(error: unknown, cacheDir: string): unknown {
  if (error instanceof RepositoryRefused) {
    return new Forbidden(error.message, [{ path: 'body/repo', message: error.message }]);
  }
  const cacheTrouble = describeCacheError(cacheDir, error);
  if (cacheTrouble) return new ServiceUnavailable(cacheTrouble);
  if (!(error instanceof BisectRefused)) return error;
  const details = inBody(error.problems);
  if (error.reason === 'invalid') return new BadRequest(error.message, details);
  if (error.reason === 'in-flight') return new Conflict(error.message);
  return new Unprocessable(error.message, details.length > 0 ? details : undefined);
}

/** Bisects: submit, list, read, cancel, mark by hand, and the `git bisect log` export. */
export async function bisectRoutes(root: FastifyInstance, ctx: ApiContext): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const { stores, queues, repositories } = ctx;
  // The labs a bisect may name: checked once at start, a bad lab file stops the API.
  const labs = await loadServiceLabs(ctx.config);
  const starter = { stores, queues, repositories, config: ctx.config, labs };

  const urlOf = (request: FastifyRequest, id: string) =>
    bisectLink(linkBase(ctx.config.api, `${request.protocol}://${request.host}`), id);

  const load = async (id: string): Promise<BisectRecord> => {
    const record = await stores.bisects.get(id);
    if (!record) throw new NotFound(`no bisect with id ${id}`);
    return record;
  };

  const checkBisectOwner = (request: FastifyRequest, record: BisectRecord, action: string) =>
    checkOwnerOfBisect(request.caller as Caller, record, stores.watches, action);

  app.post(
    '/v1/bisects',
    {
      onRequest: app.requireScope('write'),
      schema: {
        summary: 'Start a bisect',
        description:
          'Checks the body, resolves the refs in the mirror (422 for an unknown ref), stores the ' +
          'bisect and queues its coordinator. With an Idempotency-Key, a retry returns the same bisect.',
        tags: ['bisects'],
        security: [{ bearer: [] }],
        headers: IdempotencyHeaders,
        body: BisectBody,
        response: { 201: Created, ...errors(400, 401, 403, 409, 422, 503) },
      },
    },
    async (request, reply) => {
      const caller = request.caller?.name ?? 'anonymous';
      const key = request.headers['idempotency-key'];
      const spec = await admit(request.caller, request.body, ctx.config);
      const unusable = await cacheDirProblem(ctx.config.cacheDir);
      if (unusable) throw new ServiceUnavailable(unusable);
      const { record, replayed } = await createBisect(starter, {
        spec,
        submittedBy: caller,
        ...(key ? { idempotencyKey: key } : {}),
      }).catch((error: unknown) => {
        throw httpErrorOf(error, ctx.config.cacheDir);
      });
      if (replayed) reply.header('idempotent-replayed', 'true');
      else request.log.info({ bisectId: record.id, submittedBy: caller }, 'bisect queued');
      reply.header('location', urlOf(request, record.id));
      return reply
        .status(201)
        .send({ id: record.id, url: urlOf(request, record.id), status: record.status });
    },
  );

  app.get(
    '/v1/bisects',
    {
      onRequest: app.requireScope('read'),
      schema: {
        summary: 'List bisects, newest first',
        tags: ['bisects'],
        querystring: Type.Object(
          {
            status: Type.Optional(Type.Enum(BISECT_STATUSES)),
            label: Type.Optional(
              Type.String({ pattern: '^[^=]+=.*$', description: 'key=value, e.g. ci=nightly' }),
            ),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 20 })),
            cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: BisectList, ...errors(400, 401) },
      },
    },
    async (request) => {
      const { status, label, limit = 20, cursor } = request.query;
      const eq = label?.indexOf('=') ?? -1;
      const page = await stores.bisects.list({
        ...(status ? { status: status as BisectStatus } : {}),
        ...(label ? { label: { key: label.slice(0, eq), value: label.slice(eq + 1) } } : {}),
        limit,
        ...(cursor ? { cursor: Number(cursor) } : {}),
      });
      return {
        bisects: page.bisects.map((b) => ({
          id: b.id,
          url: urlOf(request, b.id),
          status: b.status,
          submittedBy: b.submittedBy,
          repo: b.spec.repo,
          createdAt: b.createdAt,
          ...(b.startedAt ? { startedAt: b.startedAt } : {}),
          ...(b.finishedAt ? { finishedAt: b.finishedAt } : {}),
          ...(b.spec.labels ? { labels: b.spec.labels } : {}),
          range: b.range,
          ...(b.progress ? { progress: b.progress } : {}),
          ...(b.result ? { culprit: b.result.culprit } : {}),
        })),
        ...(page.next !== undefined ? { next: String(page.next) } : {}),
      };
    },
  );

  app.get(
    '/v1/bisects/:id',
    {
      onRequest: app.requireScope('read'),
      schema: {
        summary: 'A bisect: status, current step, journal with samples and timings, result',
        tags: ['bisects'],
        params: IdParams,
        response: { 200: BisectView, ...errors(400, 401, 404) },
      },
    },
    async (request) => {
      const record = await load(request.params.id);
      const journal = await stores.journals.read(record.id);
      return { ...record, url: urlOf(request, record.id), journal };
    },
  );

  const deliveryLog = new DeliveryLog(ctx.redis, ctx.config.redis.prefix);
  app.get(
    '/v1/bisects/:id/deliveries',
    {
      onRequest: app.requireScope('read'),
      schema: {
        summary:
          "The delivery log: every POST to the bisect's webhook and every delivery of its report mails, with its outcome",
        tags: ['bisects'],
        params: IdParams,
        response: { 200: DeliveryList, ...errors(400, 401, 404) },
      },
    },
    async (request) => {
      const record = await load(request.params.id);
      return { id: record.id, deliveries: await deliveryLog.list(record.id) };
    },
  );

  app.post(
    '/v1/bisects/:id/cancel',
    {
      onRequest: app.requireScope('write'),
      schema: {
        summary: 'Cancel a bisect: its running build and test stop now',
        tags: ['bisects'],
        security: [{ bearer: [] }],
        params: IdParams,
        response: {
          202: Type.Object({ id: Type.String(), status: Type.String() }),
          ...errors(400, 401, 403, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const record = await load(request.params.id);
      await checkBisectOwner(request, record, 'cancel');
      if (isTerminal(record.status)) {
        throw new Conflict(`bisect ${record.id} already ended: ${record.status}`);
      }
      await stores.bisects.update(record.id, { cancelRequested: true });
      await stores.control.publish({ bisectId: record.id, action: 'cancel' });
      request.log.info({ bisectId: record.id, by: request.caller?.name }, 'cancel requested');
      // A bisect no worker has taken yet ends here; a running one ends in its coordinator.
      const job = await queues.coordinator.getJob(record.id);
      let status: string = 'cancelling';
      if (job && ['waiting', 'delayed', 'prioritized'].includes(await job.getState())) {
        const removed = await job.remove().then(
          () => true,
          () => false,
        );
        if (removed) status = await finishBisect(stores, record.id, 'cancelled', request.log);
      }
      return reply.status(202).send({ id: record.id, status });
    },
  );

  app.post(
    '/v1/bisects/:id/verdicts',
    {
      onRequest: app.requireScope('write'),
      schema: {
        summary: 'Mark a commit good, bad or skip by hand, as `git bisect good|bad|skip` would',
        tags: ['bisects'],
        security: [{ bearer: [] }],
        params: IdParams,
        body: ManualVerdict,
        response: { 201: VerdictRecorded, ...errors(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const record = await load(request.params.id);
      await checkBisectOwner(request, record, 'mark commits of');
      if (isTerminal(record.status)) {
        throw new Conflict(`bisect ${record.id} already ended: ${record.status}`);
      }
      const repository = await repositories.get(record.spec.repo);
      const { commit: ref, verdict, note } = request.body;
      const sha = await repository.resolveRef(ref).catch(() => {
        throw new Unprocessable(`unknown ref "${ref}" in ${record.spec.repo}`, [
          { path: 'body/commit', message: `unknown ref "${ref}"` },
        ]);
      });
      const range = await rangeOf(repositories, record);
      const inRange = range.commits.some((c) => c.sha === sha) || range.goods.includes(sha);
      if (!inRange) {
        throw new Unprocessable(
          `${sha} is not in the range of bisect ${record.id} (${record.range.bad} ^${record.range.goods.join(' ^')}), so its verdict says nothing about it`,
          [{ path: 'body/commit', message: 'not in the range' }],
        );
      }
      const by = request.caller?.name ?? 'anonymous';
      const entry: JournalEntry = {
        commit: sha,
        verdict,
        source: 'manual',
        at: new Date().toISOString(),
        evidence: {
          note: note ? `${note} (marked by ${by})` : `marked by ${by}`,
          ...(verdict === 'skip' ? { skipReason: 'manual' as const } : {}),
        },
      };
      const index = await stores.journals.appendLast(record.id, entry);
      await stores.events.append(record.id, 'log', {
        level: 30,
        time: Date.now(),
        bisectId: record.id,
        commit: sha,
        verdict,
        msg: `  ${sha.slice(0, 12)} marked ${verdict} by hand (${by})`,
      });
      await stores.control.publish({ bisectId: record.id, action: 'journal-changed' });
      return reply.status(201).send({ index, entry });
    },
  );

  app.get(
    '/v1/bisects/:id/log',
    {
      onRequest: app.requireScope('read'),
      schema: {
        summary: 'The journal as `git bisect log` text: `git bisect replay` accepts it',
        tags: ['bisects'],
        params: IdParams,
        produces: ['text/plain'],
        response: { 200: Type.String(), ...errors(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const record = await load(request.params.id);
      reply.type('text/plain; charset=utf-8');
      if (record.result?.log) return record.result.log;
      const journal = await stores.journals.read(record.id);
      const range = await rangeOf(repositories, record);
      const repository = await repositories.get(record.spec.repo);
      const infos = await repository.commitInfos([...new Set(journal.map((e) => e.commit))]);
      return toBisectLog(range, journal, {
        subjects: new Map(infos.map((c) => [c.sha, c.subject])),
      });
    },
  );
}
