/** A bisect asked for network for its commands, and this worker's config forbids it. */
export class NetworkNotAllowed extends Error {
  override readonly name = 'NetworkNotAllowed';
  constructor(readonly command: string) {
    super(
      `the command asks for network (network: true), but this worker has sandbox.allowNetwork: false; ` +
        'remove network from the spec, or ask the operator to allow it',
    );
  }
}
