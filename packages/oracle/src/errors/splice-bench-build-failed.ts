/** Compiling splice-bench failed; the compiler's last lines say why. */
export class SpliceBenchBuildFailed extends Error {
  override readonly name = 'SpliceBenchBuildFailed';

  constructor(
    readonly command: readonly string[],
    readonly logTail: string,
  ) {
    super(`building splice-bench failed (${command.join(' ')}):\n${logTail}`);
  }
}
