/** A lab housekeeping command (upload, boot id, uname) failed. */
export class RemoteCommandFailed extends Error {
  override readonly name = 'RemoteCommandFailed';
  constructor(
    readonly lab: string,
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(
      `lab ${lab}: \`${command}\` failed (exit ${exitCode}): ${stderr.trim().split('\n').slice(-2).join(' / ')}`,
    );
  }
}
