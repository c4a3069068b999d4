import type { FastifyError, FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { asRedisUnavailable } from '../plugins/redis-gate.js';
import { HttpError } from './http-errors.js';

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
  /** Present with Ajv's `verbose` option, which the app turns on for these messages. */
  parentSchema?: { oneOf?: { properties?: Record<string, { const?: unknown }> }[] };
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/**
 * One error body for every failure: `{ statusCode, error, message, details? }`. A schema
 * failure names each field by its path and says what was expected, e.g.
 * `body/oracle/kind: must be one of command, metric, splice-loopback`.
 */
export function installErrorHandler(app: FastifyInstance, redis?: Redis): void {
  app.setErrorHandler((thrown: FastifyError, request, reply) => {
    // Redis going away mid-request is a 503 that says so, not an internal error.
    const error: FastifyError | HttpError =
      redis && !(thrown instanceof HttpError) && (thrown.statusCode ?? 500) >= 500
        ? (asRedisUnavailable(thrown, redis) ?? thrown)
        : thrown;
    if ('validation' in error && error.validation) {
      const details = validationDetails(error.validation as AjvError[], error.validationContext);
      return reply.status(400).send({
        statusCode: 400,
        error: STATUS_TEXT[400],
        message: details.map((d) => `${d.path}: ${d.message}`).join('; '),
        details,
      });
    }
    const unreadable = unreadableBody(error as FastifyError, request.headers['content-type']);
    if (unreadable) {
      return reply.status(unreadable.statusCode).send({
        statusCode: unreadable.statusCode,
        error: STATUS_TEXT[unreadable.statusCode],
        message: `body: ${unreadable.message}`,
        details: [{ path: 'body', message: unreadable.message }],
      });
    }
    const statusCode =
      error instanceof HttpError ? error.statusCode : ((error as FastifyError).statusCode ?? 500);
    // A 503 says what is unavailable (Redis, mostly): one line, not a stack per request.
    if (statusCode === 503) request.log.warn({ err: error.message }, 'request refused');
    else if (statusCode >= 500) request.log.error({ err: thrown }, 'request failed');
    return reply.status(statusCode).send({
      statusCode,
      error: STATUS_TEXT[statusCode] ?? 'Error',
      // An HttpError's message is written for the caller (a 503 says what the operator must
      // fix); any other 5xx may carry internals and stays in the log.
      message:
        statusCode >= 500 && !(error instanceof HttpError)
          ? 'internal error; see the API log'
          : error.message,
      ...(error instanceof HttpError && error.details ? { details: error.details } : {}),
    });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      statusCode: 404,
      error: STATUS_TEXT[404],
      message: `no route ${request.method} ${request.url.split('?')[0]}`,
    }),
  );
}

/**
 * A body Fastify could not read before any schema saw it (not JSON, empty, of a content-type
 * the API does not take): said about the body, in the words of the other 400s.
 */
function unreadableBody(
  error: FastifyError,
  contentType: string | undefined,
): { statusCode: number; message: string } | undefined {
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return {
      statusCode: 415,
      message: `content-type ${contentType ?? '(none)'} is not accepted; send application/json`,
    };
  }
  const parseFailed = error.code?.startsWith('FST_ERR_CTP_') || error instanceof SyntaxError;
  if (error.statusCode === 400 && parseFailed) return { statusCode: 400, message: error.message };
  return undefined;
}

function validationDetails(
  errors: AjvError[],
  context: string | undefined,
): { path: string; message: string }[] {
  const part = context ?? 'body';
  // A failed anyOf/oneOf repeats what each branch said about the same field: those become
  // one line ("must be string or must NOT have fewer than 1 items"), the union's own is dropped.
  const unions = new Set(
    errors.filter((e) => ['anyOf', 'oneOf'].includes(e.keyword)).map((e) => e.instancePath),
  );
  const byPath = new Map<string, string[]>();
  for (const e of errors) {
    if (
      ['anyOf', 'oneOf'].includes(e.keyword) &&
      errors.some((o) => o !== e && o.instancePath.startsWith(e.instancePath))
    ) {
      continue;
    }
    const messages = byPath.get(e.instancePath) ?? [];
    const message = describe(e);
    if (!messages.includes(message)) messages.push(message);
    byPath.set(e.instancePath, messages);
  }
  return [...byPath].map(([path, messages]) => ({
    path: `${part}${path}`,
    message: messages.join(unions.has(path) ? ' or ' : '; '),
  }));
}

function describe(e: AjvError): string {
  switch (e.keyword) {
    case 'additionalProperties':
      return `unknown field "${String(e.params.additionalProperty)}"`;
    case 'required':
      return `missing field "${String(e.params.missingProperty)}"`;
    case 'enum':
      return `must be one of ${(e.params.allowedValues as unknown[]).map(String).join(', ')}`;
    case 'discriminator': {
      const tag = String(e.params.tag);
      const known = (e.parentSchema?.oneOf ?? [])
        .map((variant) => variant.properties?.[tag]?.const)
        .filter((value) => value !== undefined)
        .map(String);
      if (e.params.error !== 'mapping') return `needs a string field "${tag}"`;
      return `unknown ${tag} ${JSON.stringify(e.params.tagValue)}; expected one of ${known.join(', ')}`;
    }
    default:
      return e.message ?? e.keyword;
  }
}
