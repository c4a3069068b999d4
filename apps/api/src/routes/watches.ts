import { randomBytes } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { labProblems, loadServiceLabs } from '@kbisect/config';
import {
  type BisectSpec,
  directionProblems,
  isWebhookTarget,
  networkProblems,
  specProblems,
  WatchBody,
  WatchPatch,
  type WatchRecord,
  WatchRun,
  type WatchSpec,
  WatchView,
} from '@kbisect/contracts';
import { linkBase, watchLink, webhookSecretFor } from '@kbisect/queue';
import { getNextMillis } from 'bullmq';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { admit, checkOwner } from '../auth/policy.js';
import type { Caller } from '../auth/tokens.js';
import type { ApiContext } from '../context.js';
import {
  BadRequest,
  inBody,
  NotFound,
  ServiceUnavailable,
  Unprocessable,
} from '../errors/http-errors.js';
import { cacheDirProblem } from '../git/cache-dir.js';
import { shortestCronInterval } from '../schedule/cron-interval.js';
import { ErrorBody } from '../schemas/http.js';

const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((code) => [code, ErrorBody])) as Record<number, typeof ErrorBody>;

const WatchId = Type.String({
  pattern: '^[A-Za-z0-9_-]{1,64}$',
  description: 'as returned by POST /v1/watches',
});
const IdParams = Type.Object({ id: WatchId });

const newWatchId = () => `w${randomBytes(6).toString('hex')}`;

/** A watch's spec read as its bisect's, for the rules they share (the refs are not checked). */
const bisectLike = (spec: WatchSpec): BisectSpec =>
  ({ ...spec, good: 'x', bad: 'x' }) as BisectSpec;

/**
 * The rules of a watch a JSON schema cannot say: those of a bisect spec (the same fields mean
 * the same), a cron expression BullMQ can parse, a time zone the runtime knows.
 */
function watchProblems(spec: WatchSpec): { path: string; message: string }[] {
  const problems = specProblems(bisectLike(spec));
  if (spec.tz !== undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: spec.tz });
    } catch {
      problems.push({ path: '/tz', message: `unknown time zone "${spec.tz}"` });
    }
  }
  if (!problems.some((p) => p.path === '/tz')) {
    try {
      const next = getNextMillis(Date.now(), {
        pattern: spec.cron,
        ...(spec.tz ? { tz: spec.tz } : {}),
      });
      if (next === undefined) throw new Error('it never runs');
    } catch (error) {
      problems.push({
        path: '/cron',
        message: `not a cron expression BullMQ can schedule: ${(error as Error).message}`,
      });
    }
  }
  return problems;
}

/**
 * Watches: a branch measured on a schedule, a bisect started when it regresses. Each watch
 * is one BullMQ job scheduler on the watch queue (scheduler id = watch id), kept in Redis.
 */
export async function watchRoutes(root: FastifyInstance, ctx: ApiContext): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const { stores, queues, repositories } = ctx;
  // The labs a watch may name, as for bisects: read once at start.
  const labs = await loadServiceLabs(ctx.config);

  const urlOf = (request: FastifyRequest, id: string) =>
    watchLink(linkBase(ctx.config.api, `${request.protocol}://${request.host}`), id);

  const load = async (id: string): Promise<WatchRecord> => {
    const record = await stores.watches.get(id);
    if (!record) throw new NotFound(`no watch with id ${id}`);
    return record;
  };

  const view = async (request: FastifyRequest, record: WatchRecord) => {
    const scheduler = await queues.watch.getJobScheduler(record.id).catch(() => undefined);
    const next = scheduler?.next;
    return {
      ...record,
      url: urlOf(request, record.id),
      ...(next ? { nextRunAt: new Date(next).toISOString() } : {}),
    };
  };

  /** 400 for rules between fields, 422 for what this server cannot do or find. */
  const check = async (spec: WatchSpec) => {
    const problems = watchProblems(spec);
    const minimum = ctx.config.watches.minIntervalSeconds;
    const interval = problems.length === 0 ? shortestCronInterval(spec.cron, spec.tz) : undefined;
    if (interval !== undefined && interval < minimum) {
      problems.push({
        path: '/cron',
        message: `fires every ${interval} s at times; this service runs a watch at most every ${minimum} s (watches.minIntervalSeconds)`,
      });
    }
    if (problems.length > 0) {
      throw new BadRequest(
        problems.map((p) => `body${p.path}: ${p.message}`).join('; '),
        inBody(problems),
      );
    }
    const contradictions = directionProblems(spec);
    if (contradictions.length > 0) {
      throw new Unprocessable(
        contradictions.map((p) => p.message).join('; '),
        inBody(contradictions),
      );
    }
    // Webhooks are never sent unsigned: a target without a secret would fail every delivery,
    // months later, at the first regression. Say it now.
    const targets = (spec.notify ?? []).map((target, i) => ({ target, i }));
    const unsigned = targets.flatMap(({ target, i }) =>
      isWebhookTarget(target) && !webhookSecretFor(ctx.config, target.id) ? [{ target, i }] : [],
    );
    const mails = targets.filter(({ target }) => !isWebhookTarget(target));
    if (mails.length > 0 && !ctx.config.mail) {
      throw new Unprocessable(
        'this service sends no mail: add a `mail` section (smtp or mbox) to the service config, or drop the mail targets of "notify"',
        inBody(mails.map(({ i }) => ({ path: `/notify/${i}`, message: 'no mail section' }))),
      );
    }
    if (unsigned.length > 0) {
      const ids = unsigned.map(({ target }) => target.id);
      throw new Unprocessable(
        `no webhook signing secret for notify target${ids.length > 1 ? 's' : ''} ${ids.join(', ')}: ` +
          `set webhooks.secret in the service config or KBISECT_WEBHOOK_SECRET (or webhooks.secrets.<id> per target)`,
        inBody(
          unsigned.map(({ i, target }) => ({
            path: `/notify/${i}`,
            message: `no signing secret for target "${target.id}"`,
          })),
        ),
      );
    }
    // The lab rules of a bisect: the watch's tip is measured where its bisect would run.
    const unservable = [
      ...labProblems(bisectLike(spec), labs),
      ...networkProblems(bisectLike(spec), ctx.config.sandbox.allowNetwork),
    ];
    if (unservable.length > 0) {
      throw new Unprocessable(unservable.map((p) => p.message).join('; '), inBody(unservable));
    }
    const unusable = await cacheDirProblem(ctx.config.cacheDir);
    if (unusable) throw new ServiceUnavailable(unusable);
    let repository: Awaited<ReturnType<typeof repositories.get>>;
    try {
      repository = await repositories.get(spec.repo);
      await repository.fetch();
    } catch (error) {
      throw new Unprocessable(`cannot open ${spec.repo}: ${(error as Error).message}`, [
        { path: 'body/repo', message: 'repository not found' },
      ]);
    }
    await repository.resolveRef(spec.branch).catch(() => {
      throw new Unprocessable(`unknown branch "${spec.branch}" in ${spec.repo}`, [
        { path: 'body/branch', message: `unknown ref "${spec.branch}"` },
      ]);
    });
  };

  /**
   * The spec after a PATCH, admitted like a new body (repo and lab against the caller's policy,
   * the commands the patch brings too). A patch naming a recipe takes build and oracle from it;
   * one bringing its own build or oracle leaves the old recipe behind; otherwise a watch made
   * from a recipe is resolved from it again.
   */
  const patchedSpec = async (
    caller: Caller | undefined,
    old: WatchSpec,
    patch: WatchPatch,
  ): Promise<WatchSpec> => {
    const { build, oracle, recipe, ...kept } = old;
    const own = patch.build !== undefined || patch.oracle !== undefined;
    const base =
      patch.recipe !== undefined
        ? kept
        : own || recipe === undefined
          ? { ...kept, ...(build ? { build } : {}), oracle }
          : { ...kept, recipe };
    const merged = { ...base, ...patch } as WatchBody;
    return admit(caller, merged, ctx.config, patch);
  };

  const schedule = (record: WatchRecord) =>
    queues.watch.upsertJobScheduler(
      record.id,
      { pattern: record.spec.cron, ...(record.spec.tz ? { tz: record.spec.tz } : {}) },
      { name: 'run', data: { watchId: record.id, trigger: 'schedule' as const } },
    );

  app.post(
    '/v1/watches',
    {
      onRequest: app.requireScope('write'),
      schema: {
        summary: 'Watch a branch: measure its tip on a schedule, bisect when it regresses',
        tags: ['watches'],
        security: [{ bearer: [] }],
        body: WatchBody,
        response: { 201: WatchView, ...errors(400, 401, 403, 422) },
      },
    },
    async (request, reply) => {
      const spec: WatchSpec = await admit(request.caller, request.body, ctx.config);
      await check(spec);
      const now = new Date().toISOString();
      const record: WatchRecord = {
        id: newWatchId(),
        spec,
        createdBy: request.caller?.name ?? 'anonymous',
        createdAt: now,
        updatedAt: now,
      };
      await stores.watches.create(record);
      try {
        await schedule(record);
      } catch (error) {
        await stores.watches.delete(record.id);
        throw error;
      }
      request.log.info({ watchId: record.id, cron: spec.cron }, 'watch scheduled');
      reply.header('location', urlOf(request, record.id));
      return reply.status(201).send(await view(request, record));
    },
  );

  app.get(
    '/v1/watches',
    {
      onRequest: app.requireScope('read'),
      schema: {
        summary: 'List watches, newest first',
        tags: ['watches'],
        response: {
          200: Type.Object({ watches: Type.Array(WatchView) }),
          ...errors(401),
        },
      },
    },
    async (request) => {
      const records = await stores.watches.list();
      return { watches: await Promise.all(records.map((r) => view(request, r))) };
    },
  );

  app.get(
    '/v1/watches/:id',
    {
      onRequest: app.requireScope('read'),
      schema: {
        summary: 'A watch: its spec, last good run and next scheduled run',
        tags: ['watches'],
        params: IdParams,
        response: { 200: WatchView, ...errors(400, 401, 404) },
      },
    },
    async (request) => view(request, await load(request.params.id)),
  );

  app.patch(
    '/v1/watches/:id',
    {
      onRequest: app.requireScope('write'),
      schema: {
        summary: 'Change a watch: the fields given replace the old ones; the schedule follows',
        tags: ['watches'],
        security: [{ bearer: [] }],
        params: IdParams,
        body: WatchPatch,
        response: { 200: WatchView, ...errors(400, 401, 403, 404, 422) },
      },
    },
    async (request) => {
      const record = await load(request.params.id);
      checkOwner(request.caller as Caller, record.createdBy, 'change', `watch ${record.id}`);
      const spec = await patchedSpec(request.caller, record.spec, request.body);
      await check(spec);
      // Another repository or branch: the old last good run says nothing about the new one.
      const moved = spec.repo !== record.spec.repo || spec.branch !== record.spec.branch;
      const { lastGood, ...rest } = record;
      const updated: WatchRecord = {
        ...rest,
        ...(lastGood && !moved ? { lastGood } : {}),
        spec,
        updatedAt: new Date().toISOString(),
      };
      if (!(await stores.watches.put(updated))) throw new NotFound(`no watch with id ${record.id}`);
      await schedule(updated);
      return view(request, updated);
    },
  );

  app.delete(
    '/v1/watches/:id',
    {
      onRequest: app.requireScope('write'),
      schema: {
        summary: 'Stop watching: the schedule and the history go; bisects it started stay',
        tags: ['watches'],
        security: [{ bearer: [] }],
        params: IdParams,
        response: { 204: Type.Null(), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const record = await load(request.params.id);
      checkOwner(request.caller as Caller, record.createdBy, 'delete', `watch ${record.id}`);
      await queues.watch.removeJobScheduler(request.params.id);
      await stores.watches.delete(request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/v1/watches/:id/run',
    {
      onRequest: app.requireScope('write'),
      schema: {
        summary: 'Run the watch now, outside its schedule',
        tags: ['watches'],
        security: [{ bearer: [] }],
        params: IdParams,
        response: {
          202: Type.Object({ watchId: Type.String(), runId: Type.String() }),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const record = await load(request.params.id);
      // A run builds and measures on the owner's behalf: the same rule as change and delete.
      checkOwner(request.caller as Caller, record.createdBy, 'run', `watch ${record.id}`);
      const runId = `${record.id}.manual.${Date.now()}${randomBytes(2).toString('hex')}`;
      await queues.watch.add('run', { watchId: record.id, trigger: 'manual' }, { jobId: runId });
      return reply.status(202).send({ watchId: record.id, runId });
    },
  );

  app.get(
    '/v1/watches/:id/runs',
    {
      onRequest: app.requireScope('read'),
      schema: {
        summary: "The watch's runs, newest first, with each night's figures",
        tags: ['watches'],
        params: IdParams,
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ runs: Type.Array(WatchRun) }), ...errors(400, 401, 404) },
      },
    },
    async (request) => {
      await load(request.params.id);
      return { runs: await stores.watches.runs(request.params.id, request.query.limit ?? 100) };
    },
  );
}
