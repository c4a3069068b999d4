import {
  GoodEqualsBad,
  GoodNotAncestor,
  NoGoodCommit,
  type Repository,
  RepositoryNotFound,
  resolveRange,
  UnknownRef,
} from '@kbisect/git';
import type { Repositories, ResolvedRangeSummary } from '@kbisect/queue';
import { Unprocessable } from '../errors/http-errors.js';

/**
 * Resolves the submitted refs in the API host's mirror before anything is queued, so a typo
 * is a 422 naming the ref now rather than a failed bisect later. The shas are stored with
 * the bisect: a branch that moves afterwards does not move the range.
 */
export async function resolveSubmittedRange(
  repositories: Repositories,
  source: string,
  good: string[],
  bad: string,
  firstParent: boolean,
): Promise<{ repository: Repository; range: ResolvedRangeSummary }> {
  try {
    const repository = await repositories.get(source);
    // A mirror cloned last week would name last week's commit for `main`, as `kbisect run` knows.
    await repository.fetch();
    const resolved = await resolveRange(repository, { good, bad, firstParent });
    return {
      repository,
      range: {
        bad: resolved.bad,
        goods: resolved.goods,
        firstParent,
        commits: resolved.commits.length,
      },
    };
  } catch (error) {
    if (error instanceof UnknownRef) {
      const path = error.ref === bad ? '/bad' : '/good';
      throw new Unprocessable(error.message, [{ path, message: `unknown ref "${error.ref}"` }]);
    }
    if (error instanceof RepositoryNotFound) {
      throw new Unprocessable(error.message, [{ path: '/repo', message: 'repository not found' }]);
    }
    if (error instanceof GoodNotAncestor || error instanceof GoodEqualsBad) {
      throw new Unprocessable(error.message, [{ path: '/good', message: error.message }]);
    }
    if (error instanceof NoGoodCommit) {
      throw new Unprocessable(error.message, [{ path: '/good', message: error.message }]);
    }
    throw error;
  }
}
