import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { isTerminal } from '@kbisect/contracts';
import { STREAM_ID, type StreamEvent } from '@kbisect/queue';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { ApiContext } from '../context.js';
import { NotFound } from '../errors/http-errors.js';
import { BisectId, ErrorBody } from '../schemas/http.js';

const HEARTBEAT_MS = 15_000;
const END_GRACE_MS = 2_000;

/** One SSE message; the stream id is the event id, so Last-Event-ID resumes after it. */
export function sseMessage(event: StreamEvent): string {
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

/**
 * `GET /v1/bisects/:id/events`: every log line and state change of a bisect as Server-Sent
 * Events, from the start or after Last-Event-ID, live until the bisect ends (an `end` event,
 * then the response closes).
 */
export async function eventRoutes(root: FastifyInstance, ctx: ApiContext): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/v1/bisects/:id/events',
    {
      onRequest: app.requireScope('read'),
      schema: {
        summary: 'Follow a bisect live (Server-Sent Events)',
        description:
          'Event types: log (a log line), status, progress (step/build/sample/verdict), result, ' +
          'end. Resume with the Last-Event-ID header or ?after=<id>.',
        tags: ['bisects'],
        params: Type.Object({ id: BisectId }),
        querystring: Type.Object(
          { after: Type.Optional(Type.String({ pattern: STREAM_ID.source })) },
          { additionalProperties: false },
        ),
        headers: Type.Object({
          'last-event-id': Type.Optional(Type.String({ pattern: STREAM_ID.source })),
        }),
        produces: ['text/event-stream'],
        response: { 200: Type.String(), 400: ErrorBody, 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const record = await ctx.stores.bisects.get(id);
      if (!record) throw new NotFound(`no bisect with id ${id}`);
      const after = request.headers['last-event-id'] ?? request.query.after;

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        // nginx and friends must pass events through as they come.
        'x-accel-buffering': 'no',
      });
      res.write(': following bisect\n\n');
      let stop = () => {};
      let ended = false;
      const close = () => {
        if (ended) return;
        ended = true;
        clearInterval(heartbeat);
        stop();
        res.end();
      };
      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
      request.raw.on('close', close);
      try {
        stop = await ctx.hub.follow(id, after, (events) => {
          if (ended) return;
          res.write(events.map(sseMessage).join(''));
          if (events.some((e) => e.type === 'end')) close();
        });
      } catch (error) {
        request.log.warn({ err: error, bisectId: id }, 'cannot follow the event stream');
        close();
        return;
      }
      if (ended) stop();
      // An ended bisect's `end` event is written right after its status: if it does not come
      // (resumed after it, or the stream was trimmed away), say goodbye instead of hanging.
      const now = await ctx.stores.bisects.get(id);
      if (!ended && now && isTerminal(now.status)) setTimeout(close, END_GRACE_MS).unref();
    },
  );
}
