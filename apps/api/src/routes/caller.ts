import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ErrorBody } from '../schemas/http.js';

const CallerView = Type.Object({
  authenticated: Type.Boolean({ description: 'whether the request carried a configured token' }),
  readsNeedToken: Type.Boolean({ description: 'whether reading bisects needs a token here' }),
  name: Type.String({ description: "the token's name: the owner of what it submits" }),
  write: Type.Boolean({ description: 'may submit, cancel and mark (its own bisects)' }),
  admin: Type.Boolean({ description: "may cancel and mark anyone's bisects" }),
});

/**
 * `GET /v1/me`: who the presented token is and what it may do, so a client (the web page)
 * asks for a token only when reads need one and offers only the actions the API would
 * accept; the API checks every action anyway. It needs no token itself (an unknown token is
 * still a 401): it tells nothing but the service's auth settings.
 */
export async function callerRoutes(
  root: FastifyInstance,
  { readsNeedToken }: { readsNeedToken: boolean },
): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/v1/me',
    {
      schema: {
        summary: 'The caller: the name of the token and what it may do',
        tags: ['operations'],
        response: { 200: CallerView, 401: ErrorBody },
      },
    },
    async (request) => {
      const caller = request.caller;
      if (!caller || caller.metricsOnly) {
        return {
          authenticated: false,
          readsNeedToken,
          name: 'anonymous',
          write: false,
          admin: false,
        };
      }
      return {
        authenticated: true,
        readsNeedToken,
        name: caller.name,
        write: caller.write,
        admin: caller.admin,
      };
    },
  );
}
