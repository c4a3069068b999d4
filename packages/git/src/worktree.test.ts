import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { openRepository } from './mirror.js';
import type { Repository } from './repository.js';
import { type MergeHistory, makeMergeHistory, makeTempDir } from './test-support/index.js';
import {
  removeAllWorktrees,
  removeAllWorktreesSync,
  trackedWorktrees,
} from './worktree-registry.js';

let temp: ReturnType<typeof makeTempDir>;
let history: MergeHistory;
let repository: Repository;
beforeAll(async () => {
  temp = makeTempDir('kbisect-worktree-');
  history = makeMergeHistory(join(temp.dir, 'linux'));
  repository = await openRepository({
    source: history.repo.dir,
    cacheDir: join(temp.dir, 'cache'),
  });
});
afterEach(() => removeAllWorktreesSync());
afterAll(() => temp.cleanup());

function mirrorWorktrees(): string[] {
  return history.repo
    .git('--git-dir', repository.mirrorPath, 'worktree', 'list', '--porcelain')
    .split('\n')
    .filter((line) => line.startsWith('worktree '));
}

test('a worktree checks out the commit and leaves the user checkout untouched', async () => {
  const { repo, c } = history;
  const headBefore = repo.head();

  const worktree = await repository.addWorktree(c);

  expect(worktree.sha).toBe(c);
  expect(worktree.path.startsWith(join(temp.dir, 'cache', 'worktrees'))).toBe(true);
  expect(readFileSync(join(worktree.path, 'counter'), 'utf8')).toBe('2\n');
  expect(existsSync(join(worktree.path, 'side.txt'))).toBe(false);
  expect(repo.head()).toBe(headBefore);
  expect(repo.git('status', '--porcelain')).toBe('');
  expect(repo.git('worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1);
  await worktree.remove();
});

test('removing a worktree deletes the checkout and the mirror forgets it', async () => {
  const worktree = await repository.addWorktree(history.b);
  expect(mirrorWorktrees()).toHaveLength(2);

  await worktree.remove();
  await worktree.remove();

  expect(existsSync(worktree.path)).toBe(false);
  expect(mirrorWorktrees()).toHaveLength(1);
  expect(trackedWorktrees()).toEqual([]);
  expect(history.repo.git('status', '--porcelain')).toBe('');
});

test('a worktree can be placed under a chosen base directory', async () => {
  const baseDir = join(temp.dir, 'builds');
  const worktree = await repository.addWorktree(history.a, { baseDir });

  expect(worktree.path.startsWith(baseDir)).toBe(true);
  await worktree.remove();
});

test('two worktrees of the same commit get separate directories', async () => {
  const [first, second] = await Promise.all([
    repository.addWorktree(history.d),
    repository.addWorktree(history.d),
  ]);

  expect(first.path).not.toBe(second.path);
  await Promise.all([first.remove(), second.remove()]);
  expect(mirrorWorktrees()).toHaveLength(1);
});

test('many worktrees added and removed at once all succeed', async () => {
  const shas = [
    history.a,
    history.b,
    history.c,
    history.s1,
    history.s2,
    history.merge,
    history.d,
    history.d,
  ];
  const made = await Promise.all(shas.map((sha) => repository.addWorktree(sha)));

  for (const [index, worktree] of made.entries()) {
    expect(history.repo.git('-C', worktree.path, 'rev-parse', 'HEAD')).toBe(shas[index]);
    expect(history.repo.git('-C', worktree.path, 'status', '--porcelain')).toBe('');
  }
  await Promise.all(made.map((worktree) => worktree.remove()));
  expect(mirrorWorktrees()).toHaveLength(1);
});

test('removeAllWorktrees removes every worktree this process made', async () => {
  const made = await Promise.all(
    [history.a, history.c, history.s2].map((sha) => repository.addWorktree(sha)),
  );
  expect(trackedWorktrees()).toHaveLength(3);

  await removeAllWorktrees();

  expect(trackedWorktrees()).toEqual([]);
  for (const worktree of made) expect(existsSync(worktree.path)).toBe(false);
  expect(mirrorWorktrees()).toHaveLength(1);
});

test('the synchronous variant for signal handlers removes them too', async () => {
  const made = await Promise.all(
    [history.b, history.merge].map((sha) => repository.addWorktree(sha)),
  );

  removeAllWorktreesSync();

  expect(trackedWorktrees()).toEqual([]);
  for (const worktree of made) expect(existsSync(worktree.path)).toBe(false);
  expect(mirrorWorktrees()).toHaveLength(1);
});

test('a worktree deleted by hand is still removed cleanly', async () => {
  const worktree = await repository.addWorktree(history.c);
  rmSync(worktree.path, { recursive: true, force: true });

  await worktree.remove();

  expect(mirrorWorktrees()).toHaveLength(1);
  expect(trackedWorktrees()).toEqual([]);
});

test('a worktree of a commit the mirror lacks fails and leaves nothing behind', async () => {
  const baseDir = join(temp.dir, 'doomed');
  await expect(repository.addWorktree('0'.repeat(40), { baseDir })).rejects.toThrow();

  expect(readdirSync(baseDir)).toEqual([]);
  expect(trackedWorktrees()).toEqual([]);
  expect(mirrorWorktrees()).toHaveLength(1);
});
