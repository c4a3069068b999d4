/** The program could not be started at all (missing binary, not executable, bad cwd). */
export class RunFailedToStart extends Error {
  override readonly name = 'RunFailedToStart';

  constructor(
    readonly argv: readonly string[],
    cause: Error,
  ) {
    super(`cannot start ${JSON.stringify(argv[0] ?? '')}: ${cause.message}`, { cause });
  }
}
