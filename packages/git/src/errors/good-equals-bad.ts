/** A good ref and the bad ref name the same commit, so there is nothing to bisect. */
export class GoodEqualsBad extends Error {
  override readonly name = 'GoodEqualsBad';

  constructor(
    readonly good: string,
    readonly bad: string,
    readonly sha: string,
  ) {
    super(
      `good ${JSON.stringify(good)} and bad ${JSON.stringify(bad)} are the same commit ${sha}; ` +
        'a good commit must be an older ancestor of the bad one',
    );
  }
}
