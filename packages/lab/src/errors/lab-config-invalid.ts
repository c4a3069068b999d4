/** A lab config that cannot work, with the field at fault. */
export class LabConfigInvalid extends Error {
  override readonly name = 'LabConfigInvalid';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`lab config: ${field}: ${reason}`);
  }
}
