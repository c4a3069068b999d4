/**
 * A git network operation (clone, fetch) ran past its time limit and was killed with its
 * whole process group: a remote that accepts the connection and never answers must not hold
 * a request, a lock or a worker slot for minutes.
 */
export class GitTimedOut extends Error {
  override readonly name = 'GitTimedOut';

  constructor(
    readonly operation: string,
    readonly source: string,
    readonly timeoutMs: number,
  ) {
    super(
      `git ${operation} of ${source} took longer than ${timeoutMs / 1000} s and was killed ` +
        '(repositories.networkTimeoutSeconds); is the remote up and answering?',
    );
  }
}
