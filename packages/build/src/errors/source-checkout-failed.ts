/**
 * The commit could not be checked out into the build's source tree. Not a build failure of
 * the commit (no skip): the repository or the disk is at fault, and the bisect must stop.
 */
export class SourceCheckoutFailed extends Error {
  override readonly name = 'SourceCheckoutFailed';
  constructor(
    readonly commit: string,
    readonly output: string,
  ) {
    super(`cannot check out ${commit}: ${output.trim().split('\n').slice(-3).join(' / ')}`);
  }
}
