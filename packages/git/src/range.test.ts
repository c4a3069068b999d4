import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { GoodEqualsBad } from './errors/good-equals-bad.js';
import { GoodNotAncestor } from './errors/good-not-ancestor.js';
import { NoGoodCommit } from './errors/no-good-commit.js';
import { UnknownRef } from './errors/unknown-ref.js';
import { openRepository } from './mirror.js';
import { resolveRange } from './range.js';
import type { Repository } from './repository.js';
import { type MergeHistory, makeMergeHistory, makeTempDir } from './test-support/index.js';

let temp: ReturnType<typeof makeTempDir>;
let history: MergeHistory;
let repository: Repository;
beforeAll(async () => {
  temp = makeTempDir('kbisect-range-');
  history = makeMergeHistory(join(temp.dir, 'linux'));
  repository = await openRepository({
    source: history.repo.dir,
    cacheDir: join(temp.dir, 'cache'),
  });
});
afterAll(() => temp.cleanup());

test('a good tag and a bad branch become shas and the commits between them', async () => {
  const range = await resolveRange(repository, { good: ['v1.0'], bad: 'main' });

  expect(range.bad).toBe(history.d);
  expect(range.goods).toEqual([history.a]);
  expect(range.firstParent).toBe(false);
  expect(range.commits.map((commit) => commit.sha).sort()).toEqual(
    [history.b, history.c, history.s1, history.s2, history.merge, history.d].sort(),
  );
});

test('a first-parent range leaves the side branch out', async () => {
  const range = await resolveRange(repository, { good: ['v1.0'], bad: 'v1.1', firstParent: true });

  expect(range.commits.map((commit) => commit.sha)).toEqual([
    history.d,
    history.merge,
    history.c,
    history.b,
  ]);
});

test('good refs naming the same commit count once', async () => {
  const range = await resolveRange(repository, {
    good: ['v1.0', history.a, 'main~4'],
    bad: 'main',
  });

  expect(range.goods).toEqual([history.a]);
});

test('good equal to bad is refused, naming both refs', async () => {
  const resolving = resolveRange(repository, { good: ['v1.1'], bad: 'main' });

  await expect(resolving).rejects.toBeInstanceOf(GoodEqualsBad);
  await expect(resolving).rejects.toThrow(/"v1\.1".*"main"/);
});

test('a good commit that is not an ancestor of bad is GoodNotAncestor naming both', async () => {
  const resolving = resolveRange(repository, { good: ['main'], bad: 'v1.0' });

  await expect(resolving).rejects.toBeInstanceOf(GoodNotAncestor);
  await expect(resolving).rejects.toMatchObject({
    good: 'main',
    goodSha: history.d,
    bad: 'v1.0',
    badSha: history.a,
    hint: expect.stringMatching(/swapped/),
  });
});

test('a good commit on an unmerged branch is not an ancestor either', async () => {
  const resolving = resolveRange(repository, { good: ['side'], bad: history.c });

  await expect(resolving).rejects.toBeInstanceOf(GoodNotAncestor);
});

test('an unknown good or bad ref is UnknownRef', async () => {
  await expect(resolveRange(repository, { good: ['v1.0'], bad: 'v3.7' })).rejects.toMatchObject({
    name: 'UnknownRef',
    ref: 'v3.7',
  });
  await expect(resolveRange(repository, { good: ['v3.6'], bad: 'main' })).rejects.toBeInstanceOf(
    UnknownRef,
  );
});

test('a range without a good commit is refused', async () => {
  await expect(resolveRange(repository, { good: [], bad: 'main' })).rejects.toBeInstanceOf(
    NoGoodCommit,
  );
});
