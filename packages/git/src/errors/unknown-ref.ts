/**
 * A revision a user named does not resolve to a commit in the repository. Usually a typo, or
 * a branch or tag that only exists in someone's checkout; `fetchError` is set when the mirror
 * could not be refreshed, so the ref may exist upstream after all.
 */
export class UnknownRef extends Error {
  override readonly name = 'UnknownRef';
  readonly hint: string;

  constructor(
    readonly ref: string,
    readonly repository: string,
    readonly fetchError?: string,
  ) {
    const hint =
      fetchError === undefined
        ? 'check the spelling; a new branch or tag must be pushed to the source repository ' +
          '(the mirror was fetched before giving up)'
        : `fetching the mirror failed, so the ref may exist upstream: ${fetchError}`;
    super(`unknown revision ${JSON.stringify(ref)} in ${repository}: ${hint}`);
    this.hint = hint;
  }
}
