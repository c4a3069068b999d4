import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { makeRepo } from './make-repo.js';
import { makeMergeHistory } from './merge-history.js';
import { makeTempDir } from './temp-dir.js';

let temp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  temp = makeTempDir('kbisect-make-repo-');
});
afterEach(() => temp.cleanup());

test('the same history gets the same shas on every run', () => {
  const first = makeMergeHistory(join(temp.dir, 'one'));
  const second = makeMergeHistory(join(temp.dir, 'two'));

  expect({ ...second, repo: undefined }).toEqual({ ...first, repo: undefined });
});

test('commit writes nested files and returns the new HEAD', () => {
  const repo = makeRepo(join(temp.dir, 'linux'));
  const sha = repo.commit({ 'net/ipv4/tcp.c': 'int tcp;\n' }, 'tcp: add file');

  expect(sha).toMatch(/^[0-9a-f]{40}$/);
  expect(repo.head()).toBe(sha);
  expect(repo.git('show', '-s', '--format=%s|%an|%aI', sha)).toBe(
    'tcp: add file|Ada Tester|2012-10-01T00:01:00+00:00',
  );
  expect(repo.git('show', `${sha}:net/ipv4/tcp.c`)).toBe('int tcp;');
});

test('merge makes a two-parent commit of the branch', () => {
  const { repo, c, s2, merge } = makeMergeHistory(join(temp.dir, 'linux'));

  expect(repo.git('rev-list', '--parents', '-n', '1', merge)).toBe(`${merge} ${c} ${s2}`);
});
