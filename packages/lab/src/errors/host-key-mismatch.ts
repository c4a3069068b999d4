/**
 * The lab answered with another host key than the pinned one. Never accepted: it is a
 * different machine, a reinstalled one, or someone in the middle; a person must re-pin.
 */
export class HostKeyMismatch extends Error {
  override readonly name = 'HostKeyMismatch';
  constructor(
    readonly lab: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`lab ${lab}: host key ${actual} is not the pinned ${expected}; refusing to connect`);
  }
}
