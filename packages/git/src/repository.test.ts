import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { UnknownRef } from './errors/unknown-ref.js';
import { openRepository } from './mirror.js';
import type { Repository } from './repository.js';
import {
  type MergeHistory,
  makeMergeHistory,
  makeRepo,
  makeTempDir,
} from './test-support/index.js';

let temp: ReturnType<typeof makeTempDir>;
let history: MergeHistory;
let repository: Repository;
beforeAll(async () => {
  temp = makeTempDir('kbisect-repository-');
  history = makeMergeHistory(join(temp.dir, 'linux'));
  repository = await openRepository({
    source: history.repo.dir,
    cacheDir: join(temp.dir, 'cache'),
  });
});
afterAll(() => temp.cleanup());

test('branches, tags, abbreviated shas and revision expressions resolve to full shas', async () => {
  expect(await repository.resolveRef('main')).toBe(history.d);
  expect(await repository.resolveRef('v1.0')).toBe(history.a);
  expect(await repository.resolveRef(history.s2.slice(0, 8))).toBe(history.s2);
  expect(await repository.resolveRef('v1.1~1')).toBe(history.merge);
  expect(await repository.resolveRef('main~1^2')).toBe(history.s2);
});

test('an unknown ref is UnknownRef naming the ref, the repository and a hint', async () => {
  const resolving = repository.resolveRef('v9.9-rc1');

  await expect(resolving).rejects.toBeInstanceOf(UnknownRef);
  await expect(resolving).rejects.toMatchObject({
    ref: 'v9.9-rc1',
    repository: history.repo.dir,
    hint: expect.stringMatching(/spelling/),
  });
});

test('a ref starting with a dash is an unknown ref, never an option', async () => {
  for (const ref of ['-h', '--all', '--git-dir=/', '--upload-pack=touch pwned', '-']) {
    await expect(repository.resolveRef(ref)).rejects.toMatchObject({ name: 'UnknownRef', ref });
  }
});

test('shell metacharacters in a ref are not run by any shell', async () => {
  const pwned = join(temp.dir, 'pwned');
  for (const ref of [
    `main; touch ${pwned}`,
    `$(touch ${pwned})`,
    `\`touch ${pwned}\``,
    `main && touch ${pwned}`,
  ]) {
    await expect(repository.resolveRef(ref)).rejects.toBeInstanceOf(UnknownRef);
  }
  expect(existsSync(pwned)).toBe(false);
});

test('an empty ref is an unknown ref', async () => {
  await expect(repository.resolveRef('')).rejects.toBeInstanceOf(UnknownRef);
});

test('a tree or blob is not a commit', async () => {
  await expect(repository.resolveRef('main^{tree}')).rejects.toBeInstanceOf(UnknownRef);
  await expect(repository.resolveRef('main:counter')).rejects.toBeInstanceOf(UnknownRef);
});

test('isAncestor follows both parents of a merge and says no across unmerged history', async () => {
  expect(await repository.isAncestor(history.a, history.d)).toBe(true);
  expect(await repository.isAncestor(history.s1, history.d)).toBe(true);
  expect(await repository.isAncestor(history.d, history.d)).toBe(true);
  expect(await repository.isAncestor(history.d, history.a)).toBe(false);
  expect(await repository.isAncestor(history.c, history.s2)).toBe(false);
});

test('methods past resolveRef refuse anything but a full sha', async () => {
  await expect(repository.isAncestor('main', history.d)).rejects.toThrow(TypeError);
  await expect(repository.treeId('--all')).rejects.toThrow(TypeError);
  await expect(repository.commitInfos([history.a.slice(0, 12)])).rejects.toThrow(TypeError);
});

test('treeId is the tree git records for the commit', async () => {
  expect(await repository.treeId(history.c)).toBe(
    history.repo.git('rev-parse', `${history.c}^{tree}`),
  );
  expect(await repository.treeId(history.c)).not.toBe(await repository.treeId(history.b));
});

test('commitInfo reports subject, author, dates, parents and describe', async () => {
  const info = await repository.commitInfo(history.b);

  expect(info).toEqual({
    sha: history.b,
    parents: [history.a],
    subject: 'b: add b.txt',
    author: { name: 'Ada Tester', email: 'ada@example.org' },
    authorDate: '2012-10-01T00:02:00+00:00',
    committer: { name: 'Ada Tester', email: 'ada@example.org' },
    committerDate: '2012-10-01T00:02:00+00:00',
    describe: `v1.0-1-g${history.repo.git('rev-parse', '--short', history.b)}`,
  });
});

test('describe names a tagged commit by its tag and a merge by the tag before it', async () => {
  const [tagged, merge] = await repository.commitInfos([history.d, history.merge]);

  expect(tagged?.describe).toBe('v1.1');
  expect(merge?.describe).toMatch(/^v1\.0-\d+-g[0-9a-f]+$/);
  expect(merge?.parents).toEqual([history.c, history.s2]);
});

test('describe falls back to a short sha when no tag is reachable', async () => {
  const untagged = makeTempDir('kbisect-untagged-');
  try {
    const sha = makeRepo(untagged.dir).commit({ f: '1\n' }, 'only commit');
    const bare = await openRepository({
      source: untagged.dir,
      cacheDir: join(untagged.dir, 'cache'),
    });

    const info = await bare.commitInfo(sha);
    expect(sha.startsWith(info.describe)).toBe(true);
    expect(info.parents).toEqual([]);
  } finally {
    untagged.cleanup();
  }
});

test('commitInfos answers in the order asked, duplicates included', async () => {
  const shas = [history.d, history.a, history.s1, history.a];
  const infos = await repository.commitInfos(shas);

  expect(infos.map((info) => info.sha)).toEqual(shas);
  expect(infos.map((info) => info.subject)).toEqual([
    'd: bump counter again',
    'a: initial',
    's1: side work',
    'a: initial',
  ]);
});

test('a subject with quotes, tabs and unicode survives the record format', async () => {
  const subject = 'net: fix "splice"\twith SPLICE_F_MORE — 40 ms stalls; $(rm -rf /)';
  const sha = history.repo.commit({ 'odd.txt': 'x\n' }, subject);

  const [info] = await repository.commitInfos([await repository.resolveRef(sha)]);
  expect(info?.subject).toBe(subject);
});
