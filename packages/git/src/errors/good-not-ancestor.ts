/**
 * A good commit is not an ancestor of the bad one. The range `bad ^good` would then mix
 * unrelated history, so kbisect refuses rather than guess (often good and bad are swapped,
 * or the good commit lives on a branch that was never merged).
 */
export class GoodNotAncestor extends Error {
  override readonly name = 'GoodNotAncestor';
  readonly hint: string;

  constructor(
    readonly good: string,
    readonly goodSha: string,
    readonly bad: string,
    readonly badSha: string,
  ) {
    const hint =
      'are good and bad swapped? A good commit must be reachable from the bad one ' +
      `(git merge-base --is-ancestor ${goodSha} ${badSha})`;
    super(
      `good ${JSON.stringify(good)} (${goodSha}) is not an ancestor of bad ${JSON.stringify(bad)} (${badSha}); ${hint}`,
    );
    this.hint = hint;
  }
}
