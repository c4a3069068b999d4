/**
 * A run was cancelled through its AbortSignal (e.g. the bisect was cancelled). It rejects
 * rather than resolves, so a killed oracle can never be mistaken for a verdict.
 */
export class RunAborted extends Error {
  override readonly name = 'RunAborted';

  constructor(
    readonly argv: readonly string[],
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`run aborted: ${argv.join(' ')}`);
  }
}
