/**
 * Errors a route throws to answer with a status: the error handler turns each into
 * `{ statusCode, error, message, details? }`, the body every non-2xx answer has.
 */
/**
 * One thing wrong with a request, named where it lies as Fastify's schema errors name it:
 * `body/oracle/kind`, `params/id`, `querystring/limit`.
 */
export interface ProblemDetail {
  path: string;
  message: string;
}

/**
 * Problems found in the body by rules beyond its schema, named by JSON pointer into the body
 * (`/lab/name`, as `specProblems` gives them), in the same words as schema errors
 * (`body/lab/name`): a client reads one shape whichever check refused it.
 */
export const inBody = (problems: readonly ProblemDetail[]): ProblemDetail[] =>
  problems.map(({ path, message }) => ({ path: `body${path}`, message }));

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly details?: ProblemDetail[],
  ) {
    super(message);
  }
}

/** The body failed a rule beyond its JSON schema (fields that only make sense together). */
export class BadRequest extends HttpError {
  override readonly name = 'BadRequest';
  constructor(message: string, details?: ProblemDetail[]) {
    super(400, message, details);
  }
}

/** The token may not do this: a policy rule of the config says no, and the message names it. */
export class Forbidden extends HttpError {
  override readonly name = 'Forbidden';
  constructor(message: string, details?: ProblemDetail[]) {
    super(403, message, details);
  }
}

export class NotFound extends HttpError {
  override readonly name = 'NotFound';
  constructor(message: string) {
    super(404, message);
  }
}

/** The request is at odds with the bisect's state (it ended; a retry is in flight). */
export class Conflict extends HttpError {
  override readonly name = 'Conflict';
  constructor(message: string) {
    super(409, message);
  }
}

/** Well-formed but cannot be done: an unknown ref, a commit outside the range, no such lab. */
export class Unprocessable extends HttpError {
  override readonly name = 'Unprocessable';
  constructor(message: string, details?: ProblemDetail[]) {
    super(422, message, details);
  }
}

/** The service cannot do it now for a reason of its own (its cache is unwritable): not the caller's fault. */
export class ServiceUnavailable extends HttpError {
  override readonly name = 'ServiceUnavailable';
  constructor(message: string) {
    super(503, message);
  }
}
