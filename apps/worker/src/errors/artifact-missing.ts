/**
 * The built worktree a lab test needs is not on this host. For `lab: local` the build and the
 * test must run on the same host (see docs/service.md, "single-host limitation").
 */
export class ArtifactMissing extends Error {
  override readonly name = 'ArtifactMissing';
  constructor(
    readonly worktree: string,
    readonly host: string,
  ) {
    super(`the build of this commit (${worktree} on ${host}) is not on this host`);
  }
}
