import { join } from 'node:path';
import {
  type NetworkLimits,
  openRepository,
  type Repository,
  type SourcePolicy,
} from '@kbisect/git';
import type { ServiceConfig } from './service-config.js';

/** What a service process may open, and how long git may talk to a remote. */
export interface RepositoryRules {
  policy: SourcePolicy;
  limits: NetworkLimits;
}

/** The `repositories` section of the config as the git package takes it. */
export function repositoryRules(config: Pick<ServiceConfig, 'repositories'>): RepositoryRules {
  const section = config.repositories;
  return {
    policy: { allow: section.allow, protocols: section.protocols },
    limits: {
      timeoutMs: section.networkTimeoutSeconds * 1000,
      lowSpeedBytesPerSecond: section.lowSpeedBytesPerSecond,
      lowSpeedSeconds: section.lowSpeedSeconds,
      protocols: section.protocols,
    },
  };
}

/**
 * The mirrors this process has opened, by source. Opening checks the source against the
 * service's repository rules, then clones on first use (under a lock shared with other
 * processes), so each source is opened once per process.
 */
export class Repositories {
  readonly #open = new Map<string, Promise<Repository>>();

  /**
   * `sourceMayBeGone`: a worker's mirrors outlive a removed local source, so its running
   * bisects go on (their commits are in the mirror); the API checks the source at submit.
   */
  constructor(
    private readonly cacheDir: string,
    private readonly rules?: RepositoryRules,
    private readonly options: { sourceMayBeGone?: boolean } = {},
  ) {}

  /** Where its repositories keep worktrees, and under `slots/` their build slots. */
  get worktreesDir(): string {
    return join(this.cacheDir, 'mirrors', 'worktrees');
  }

  get(source: string): Promise<Repository> {
    let repository = this.#open.get(source);
    if (!repository) {
      // The same layout as `kbisect run`, so the CLI and a worker on one host share mirrors.
      repository = openRepository({
        source,
        cacheDir: join(this.cacheDir, 'mirrors'),
        ...(this.rules ?? {}),
        ...(this.options.sourceMayBeGone ? { sourceMayBeGone: true } : {}),
      });
      repository.catch(() => this.#open.delete(source));
      this.#open.set(source, repository);
    }
    return repository;
  }
}
