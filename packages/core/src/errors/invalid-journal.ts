/**
 * A journal entry the core cannot use: a commit outside the range, an unknown verdict.
 * `index` is the entry's position in the journal, so the bad line can be found and fixed.
 */
export class InvalidJournal extends Error {
  override readonly name = 'InvalidJournal';
  constructor(
    message: string,
    readonly index: number,
    readonly commit?: string,
  ) {
    super(`invalid journal entry #${index}: ${message}`);
  }
}
