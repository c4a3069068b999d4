/** A range needs at least one good commit: without one it would be all of history. */
export class NoGoodCommit extends Error {
  override readonly name = 'NoGoodCommit';

  constructor(readonly bad: string) {
    super(`no good commit given for bad ${JSON.stringify(bad)}; name at least one known-good ref`);
  }
}
