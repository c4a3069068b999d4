/**
 * An artifact is not in Redis: it expired (nothing used it for `artifacts.ttlSeconds`), Redis
 * evicted or lost it, or it was never published.
 */
export class ArtifactNotFound extends Error {
  override readonly name = 'ArtifactNotFound';
  constructor(
    readonly sha256: string,
    readonly key: string,
    detail = 'expired (unused for longer than artifacts.ttlSeconds), evicted, or never published',
  ) {
    super(`artifact sha256:${sha256} is not in Redis (${key}): ${detail}`);
  }
}
