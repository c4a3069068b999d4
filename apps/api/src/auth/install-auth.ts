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

const EVERYONE: Caller = {
  name: 'anonymous',
  write: true,
  admin: true,
  policy: { commands: 'any' },
};

/**
 * Bearer tokens from the configuration, installed on the root instance so every route sees
 * `request.caller`. A request with an unknown token is refused at once (401), whatever the
 * route: a typo in CI must not look like an anonymous read.
 */
export function installAuth(app: FastifyInstance, options: AuthOptions): void {
  app.decorateRequest('caller', undefined);
  app.addHook('onRequest', async (request, reply) => {
    if (tokenInQuery(request.url)) {
      // Refused rather than ignored: a client that puts its token in a URL has already leaked
      // it to proxies and browser history, and must hear that, not see a puzzling 401.
      await reply.status(400).send({
        statusCode: 400,
        error: 'Bad Request',
        message:
          'a token in the URL (?token=) is refused: URLs end up in logs and browser history; ' +
          'send "Authorization: Bearer <token>" instead',
        details: [
          { path: 'querystring/token', message: 'send the token in the Authorization header' },
        ],
      });
      return;
    }
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
      if ((scope === 'read' || scope === 'metrics') && !options.readsNeedToken) return;
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

/** Query parameter names that carry a credential; see `redactUrl` for the log side. */
const TOKEN_PARAMS = ['token', 'access_token', 'api_key'];

function tokenInQuery(url: string): boolean {
  const query = url.indexOf('?');
  if (query === -1) return false;
  const params = new URLSearchParams(url.slice(query + 1));
  return TOKEN_PARAMS.some((name) => params.has(name));
}

/** The URL as logged: credential parameters blanked (the request is refused, but logged first). */
export function redactTokenInUrl(url: string): string {
  const query = url.indexOf('?');
  if (query === -1) return url;
  const params = new URLSearchParams(url.slice(query + 1));
  let changed = false;
  for (const name of TOKEN_PARAMS) {
    if (params.has(name)) {
      params.set(name, '[Redacted]');
      changed = true;
    }
  }
  return changed ? `${url.slice(0, query)}?${params.toString()}` : url;
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
