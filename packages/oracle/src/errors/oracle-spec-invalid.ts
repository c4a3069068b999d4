/**
 * An oracle spec that cannot run: `field` is its JSON path inside the oracle (`/args`,
 * `/files/2/path`) or the `--oracle` text, `reason` says what is wrong and what to write.
 */
export class OracleSpecInvalid extends Error {
  override readonly name = 'OracleSpecInvalid';

  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`oracle ${field}: ${reason}`);
  }
}
