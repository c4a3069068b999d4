/** The bytes read back from Redis are not the artifact they were published as. */
export class ArtifactCorrupt extends Error {
  override readonly name = 'ArtifactCorrupt';
  constructor(
    readonly sha256: string,
    readonly actual: { sha256: string; size: number },
    readonly expectedSize: number,
  ) {
    super(
      `artifact sha256:${sha256} (${expectedSize} bytes) read back as sha256:${actual.sha256} ` +
        `(${actual.size} bytes): the copy in Redis is damaged; nothing was written`,
    );
  }
}
