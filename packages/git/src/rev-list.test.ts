import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openRepository } from './mirror.js';
import type { Repository } from './repository.js';
import { parseRevListParents } from './rev-list.js';
import { type MergeHistory, makeMergeHistory, makeTempDir } from './test-support/index.js';

let temp: ReturnType<typeof makeTempDir>;
let history: MergeHistory;
let repository: Repository;
beforeAll(async () => {
  temp = makeTempDir('kbisect-rev-list-');
  history = makeMergeHistory(join(temp.dir, 'linux'));
  repository = await openRepository({
    source: history.repo.dir,
    cacheDir: join(temp.dir, 'cache'),
  });
});
afterAll(() => temp.cleanup());

test('the range is what git rev-list --parents prints, merge and side branch included', async () => {
  const { a, b, c, s1, s2, merge, d } = history;
  const commits = await repository.revListRange(d, [a]);

  expect(commits).toEqual(
    parseRevListParents(history.repo.git('rev-list', '--parents', d, `^${a}`)),
  );
  expect(new Set(commits.map((commit) => commit.sha))).toEqual(new Set([b, c, s1, s2, merge, d]));
  expect(commits.find((commit) => commit.sha === merge)?.parents).toEqual([c, s2]);
});

test('first-parent walking skips the side branch but keeps both parents of the merge', async () => {
  const { a, b, c, s2, merge, d } = history;
  const commits = await repository.revListRange(d, [a], { firstParent: true });

  expect(commits).toEqual(
    parseRevListParents(history.repo.git('rev-list', '--parents', '--first-parent', d, `^${a}`)),
  );
  expect(commits.map((commit) => commit.sha)).toEqual([d, merge, c, b]);
  expect(commits[1]?.parents).toEqual([c, s2]);
});

test('several good commits each cut their history out of the range', async () => {
  const { c, s1, s2, merge, d } = history;
  const commits = await repository.revListRange(d, [c, s1]);

  expect(commits.map((commit) => commit.sha)).toEqual(
    parseRevListParents(history.repo.git('rev-list', '--parents', d, `^${c}`, `^${s1}`)).map(
      (commit) => commit.sha,
    ),
  );
  expect(new Set(commits.map((commit) => commit.sha))).toEqual(new Set([s2, merge, d]));
});

test('a root commit has no parents', () => {
  expect(parseRevListParents('aaaa bbbb\nbbbb\n')).toEqual([
    { sha: 'aaaa', parents: ['bbbb'] },
    { sha: 'bbbb', parents: [] },
  ]);
});
