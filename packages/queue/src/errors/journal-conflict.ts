/**
 * The journal grew while this writer was working: another coordinator (a stale one that lost
 * its lock, or the new one after a crash) or a person marking by hand wrote first. The writer
 * must re-read the journal and decide again; recording its verdict would record a step twice.
 */
export class JournalConflict extends Error {
  override readonly name = 'JournalConflict';
  constructor(
    readonly bisectId: string,
    readonly expectedLength: number,
    readonly actualLength: number,
  ) {
    super(
      `journal of ${bisectId} has ${actualLength} entries, expected ${expectedLength}: ` +
        'someone else recorded a verdict first',
    );
  }
}
