/** The lab could not be recovered (power cycle failed, or its default kernel is not back). */
export class LabDown extends Error {
  override readonly name = 'LabDown';
  constructor(
    readonly lab: string,
    readonly reason: string,
  ) {
    super(`lab ${lab} is down: ${reason}`);
  }
}
