/** Redis did not answer at start: nothing in the service can work without it. */
export class RedisUnreachable extends Error {
  override readonly name = 'RedisUnreachable';
  constructor(
    readonly url: string,
    readonly timeoutMs: number,
    readonly lastError: string | undefined,
  ) {
    super(
      `Redis at ${url} did not answer within ${timeoutMs} ms` +
        `${lastError ? ` (${lastError})` : ''}; start Redis or set REDIS_URL / --redis-url`,
    );
  }
}
