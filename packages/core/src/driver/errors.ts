/**
 * The oracle could not produce a measurement for this commit (the metric command printed no
 * number, the test program crashed...). The commit is skipped with this message as evidence,
 * exactly as a build failure would be.
 */
export class OracleFailed extends Error {
  override readonly name = 'OracleFailed';
  constructor(
    message: string,
    readonly outputTail?: string,
  ) {
    super(message);
  }
}

/** The bisect was cancelled (Ctrl-C, API cancel). Carries nothing: the journal is the state. */
export class BisectCancelled extends Error {
  override readonly name = 'BisectCancelled';
  constructor() {
    super('bisect cancelled');
  }
}
