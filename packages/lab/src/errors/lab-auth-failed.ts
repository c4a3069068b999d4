/** The lab's SSH server refused the configured key. */
export class LabAuthFailed extends Error {
  override readonly name = 'LabAuthFailed';
  constructor(
    readonly lab: string,
    readonly user: string,
    readonly reason: string,
  ) {
    super(`lab ${lab}: login as ${user} refused: ${reason}`);
  }
}
