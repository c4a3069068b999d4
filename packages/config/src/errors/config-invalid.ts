/** The configuration cannot work; every problem is listed with where it came from. */
export class ConfigInvalid extends Error {
  override readonly name = 'ConfigInvalid';
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid configuration (${source}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}
