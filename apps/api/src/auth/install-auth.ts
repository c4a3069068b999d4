import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { allows, type Caller, presentedToken, type Scope, type TokenTable } from './tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The token's owner, or undefined for a request without a token. */
    caller: Caller | undefined;
  }
  interface FastifyInstance {
    /** A preHandler that answers 401 without a token and 403 without the scope. */
    requireScope(scope: Scope): (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
}

export interface AuthOptions {
  tokens: TokenTable;
  /** No tokens needed at all: a trusted single-user machine. */
  disabled: boolean;
  readsNeedToken: boolean;
}

const EVERYONE: Caller = { name: 'anonymous', write: true, admin: true };

/**
 * Bearer tokens from the configuration, installed on the root instance so every route sees
 * `request.caller`. A request with an unknown token is refused at once (401), whatever the
 * route: a typo in CI must not look like an anonymous read.
 */
export function installAuth(app: FastifyInstance, options: AuthOptions): void {
  app.decorateRequest('caller', undefined);
  app.addHook('onRequest', async (request, reply) => {
    if (options.disabled) {
      request.caller = EVERYONE;
      return;
    }
    const token = presentedToken(request.headers.authorization);
    if (token === undefined) return;
    request.caller = options.tokens.find(token);
    if (!request.caller) {
      await deny(request, reply, 401, 'the token is not one of the configured API tokens');
    }
  });
  app.decorate(
    'requireScope',
    (scope: Scope) => async (request: FastifyRequest, reply: FastifyReply) => {
      if (scope === 'read' && !options.readsNeedToken) return;
      const caller = request.caller;
      if (!caller) {
        await deny(
          request,
          reply,
          401,
          `this needs an API token: send "Authorization: Bearer <token>" (kbisect --token or KBISECT_TOKEN)`,
        );
        return;
      }
      if (!allows(caller, scope)) {
        await deny(request, reply, 403, `the token "${caller.name}" may not ${scope}`);
      }
    },
  );
}

async function deny(
  request: FastifyRequest,
  reply: FastifyReply,
  statusCode: 401 | 403,
  message: string,
): Promise<void> {
  // Browsers prompt for Basic credentials on the dashboard; API clients read the Bearer hint.
  const dashboard = request.url.startsWith('/admin/');
  if (statusCode === 401) {
    reply.header(
      'www-authenticate',
      dashboard ? 'Basic realm="kbisect admin"' : 'Bearer realm="kbisect"',
    );
  }
  await reply.status(statusCode).send({
    statusCode,
    error: statusCode === 401 ? 'Unauthorized' : 'Forbidden',
    message,
  });
}
