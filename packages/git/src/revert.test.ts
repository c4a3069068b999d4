import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openRepository } from './mirror.js';
import type { Repository } from './repository.js';
import { type MergeHistory, makeMergeHistory, makeTempDir } from './test-support/index.js';
import { trackedWorktrees } from './worktree-registry.js';

let temp: ReturnType<typeof makeTempDir>;
let history: MergeHistory;
let repository: Repository;
beforeAll(async () => {
  temp = makeTempDir('kbisect-revert-');
  history = makeMergeHistory(join(temp.dir, 'linux'));
  repository = await openRepository({
    source: history.repo.dir,
    cacheDir: join(temp.dir, 'cache'),
  });
});
afterAll(() => temp.cleanup());

function mirrorWorktreeCount(): number {
  return history.repo.git('--git-dir', repository.mirrorPath, 'worktree', 'list').split('\n')
    .length;
}

test('a commit nothing later touched reverts cleanly', async () => {
  expect(await repository.canRevertCleanly(history.d, history.b)).toBe(true);
  expect(mirrorWorktreeCount()).toBe(1);
});

test('a commit whose lines were changed again later does not revert cleanly', async () => {
  expect(await repository.canRevertCleanly(history.d, history.s1)).toBe(false);
  expect(await repository.canRevertCleanly(history.d, history.c)).toBe(false);
  expect(mirrorWorktreeCount()).toBe(1);
});

test('a merge is reverted against its first parent', async () => {
  const contents = await repository.withRevertWorktree(history.d, history.merge, (worktree) => ({
    clean: worktree.clean,
    sideFileExists: existsSync(join(worktree.path, 'side.txt')),
    counter: readFileSync(join(worktree.path, 'counter'), 'utf8'),
  }));

  expect(contents).toEqual({ clean: true, sideFileExists: false, counter: '3\n' });
});

test('the revert worktree holds bad with the culprit undone, uncommitted', async () => {
  const worktree = await repository.revertWorktree(history.d, history.b);
  try {
    expect(worktree).toMatchObject({
      onto: history.d,
      commit: history.b,
      clean: true,
      conflicts: [],
    });
    expect(existsSync(join(worktree.path, 'b.txt'))).toBe(false);
    expect(history.repo.git('-C', worktree.path, 'rev-parse', 'HEAD')).toBe(history.d);
  } finally {
    await worktree.remove();
  }
  expect(existsSync(worktree.path)).toBe(false);
});

test('a conflicting revert names the conflicting paths', async () => {
  await repository.withRevertWorktree(history.d, history.s1, (worktree) => {
    expect(worktree.clean).toBe(false);
    expect(worktree.conflicts).toEqual(['side.txt']);
  });
});

test('the revert worktree is removed even when the callback throws', async () => {
  const failing = repository.withRevertWorktree(history.d, history.b, () => {
    throw new Error('build failed');
  });

  await expect(failing).rejects.toThrow('build failed');
  expect(trackedWorktrees()).toEqual([]);
  expect(mirrorWorktreeCount()).toBe(1);
});
