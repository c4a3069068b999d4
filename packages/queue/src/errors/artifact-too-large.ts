const MIB = 1024 * 1024;
const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`;

/** A build artifact is bigger than the deployment lets one artifact take in Redis. */
export class ArtifactTooLarge extends Error {
  override readonly name = 'ArtifactTooLarge';
  constructor(
    readonly path: string,
    readonly size: number,
    readonly limit: number,
  ) {
    super(
      `${path} is ${mib(size)} (${size} bytes), more than the ${mib(limit)} (${limit} bytes) ` +
        'one artifact may take in Redis: raise artifacts.maxBytes in the service config ' +
        '(KBISECT_ARTIFACT_MAX_BYTES), or build fewer modules',
    );
  }
}
