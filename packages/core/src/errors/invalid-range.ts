/**
 * The range handed to the core is not what `git rev-list --parents bad ^good...` prints, so
 * any choice made on it would be wrong. Carries the commit at fault, when there is one.
 */
export class InvalidRange extends Error {
  override readonly name = 'InvalidRange';
  constructor(
    message: string,
    readonly commit?: string,
  ) {
    super(`invalid bisect range: ${message}`);
  }
}
