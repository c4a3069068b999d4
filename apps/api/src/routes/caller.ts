import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { CallerView } from '@kbisect/contracts';
import type { FastifyInstance } from 'fastify';
import { ErrorBody } from '../schemas/http.js';

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
