/**
 * The service's repository rules refuse a source before any connection or process is made:
 * a transport that is not allowed (`ext::`, `fd::` never are), or a path or URL outside the
 * allowlist. `rule` names the setting that refused it, so an operator knows what to change.
 */
export class RepositoryRefused extends Error {
  override readonly name = 'RepositoryRefused';

  constructor(
    readonly source: string,
    readonly rule: string,
    reason: string,
  ) {
    super(`repository ${JSON.stringify(source)} refused by ${rule}: ${reason}`);
  }
}
