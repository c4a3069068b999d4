/** The repository to bisect in cannot be opened: a missing path, or a URL git cannot clone. */
export class RepositoryNotFound extends Error {
  override readonly name = 'RepositoryNotFound';

  constructor(
    readonly source: string,
    readonly hint: string,
  ) {
    super(`repository not found: ${source}: ${hint}`);
  }
}
