/** A `--oracle splice-loopback:ARGS` spec that cannot be turned into splice-bench options. */
export class SpliceLoopbackSpecInvalid extends Error {
  override readonly name = 'SpliceLoopbackSpecInvalid';

  constructor(
    readonly spec: string,
    readonly reason: string,
  ) {
    super(`invalid oracle spec ${JSON.stringify(spec)}: ${reason}`);
  }
}
