import { join } from 'node:path';
import { openRepository, type Repository } from '@kbisect/git';

/**
 * The mirrors this worker has opened, by source. Opening clones on first use (under a lock
 * shared with other processes), so each source is opened once per process.
 */
export class Repositories {
  readonly #open = new Map<string, Promise<Repository>>();

  constructor(private readonly cacheDir: string) {}

  get(source: string): Promise<Repository> {
    let repository = this.#open.get(source);
    if (!repository) {
      // The same layout as `kbisect run`, so the CLI and a worker on one host share mirrors.
      repository = openRepository({ source, cacheDir: join(this.cacheDir, 'mirrors') });
      repository.catch(() => this.#open.delete(source));
      this.#open.set(source, repository);
    }
    return repository;
  }
}
