/** The API answered with an error; the message is the API's own. */
export class ApiRequestFailed extends Error {
  override readonly name = 'ApiRequestFailed';
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly apiMessage: string,
    readonly details: { path: string; message: string }[],
  ) {
    super(`${method} ${path}: ${status} ${apiMessage}`);
  }
}

/** No answer at all from the server (down, wrong --server, network). */
export class ServerUnreachable extends Error {
  override readonly name = 'ServerUnreachable';
  constructor(
    readonly server: string,
    cause: unknown,
  ) {
    super(
      `cannot reach the kbisect API at ${server} (${(cause as Error)?.cause ?? (cause as Error)?.message ?? cause}); ` +
        'check --server / KBISECT_SERVER and that `kbisect serve` runs',
    );
  }
}
