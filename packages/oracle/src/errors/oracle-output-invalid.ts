/**
 * An oracle printed something that is not the result it promises. The line is kept: on a
 * lab machine it is often the only clue (a truncated write, a shell banner, an old binary).
 */
export class OracleOutputInvalid extends Error {
  override readonly name = 'OracleOutputInvalid';

  constructor(
    readonly line: string,
    readonly reason: string,
  ) {
    super(`oracle output is invalid (${reason}): ${JSON.stringify(line.slice(0, 500))}`);
  }
}
