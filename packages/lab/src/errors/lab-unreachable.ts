/** No SSH session could be opened to the lab (refused, timed out, no SSH banner). */
export class LabUnreachable extends Error {
  override readonly name = 'LabUnreachable';
  constructor(
    readonly lab: string,
    readonly address: string,
    readonly reason: string,
  ) {
    super(`lab ${lab} (${address}) is unreachable: ${reason}`);
  }
}
