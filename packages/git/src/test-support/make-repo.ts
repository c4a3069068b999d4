import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gitEnv } from '../git-env.js';

/** A git repository a test builds commit by commit; every method returns what git printed. */
export interface TestRepo {
  dir: string;
  /** Writes the files (paths relative to the repo), commits them all, returns the new sha. */
  commit(files: Record<string, string>, message: string): string;
  /** Creates branch `name` at `from` (default HEAD) without switching to it. */
  branch(name: string, from?: string): void;
  checkout(ref: string): void;
  /** `git merge --no-ff`; returns the merge commit's sha. Throws on conflicts. */
  merge(branch: string, message: string): string;
  tag(name: string, ref?: string): void;
  /** Runs any git command in the repo and returns its trimmed stdout. */
  git(...args: string[]): string;
  head(): string;
}

// Every commit gets the next minute, so histories, shas and `rev-list` order are the same
// on every run and every machine.
const EPOCH = Date.UTC(2012, 9, 1) / 1000;

/**
 * `git init` in `dir` (created if missing) on branch main, isolated from the user's and the
 * system's git config so a signing or hook setting on a developer machine cannot leak in.
 */
export function makeRepo(dir: string): TestRepo {
  mkdirSync(dir, { recursive: true });
  let clock = 0;
  const run = (args: string[], extraEnv: Record<string, string> = {}): string =>
    execFileSync('git', args, {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: gitEnv({
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_AUTHOR_NAME: 'Ada Tester',
        GIT_AUTHOR_EMAIL: 'ada@example.org',
        GIT_COMMITTER_NAME: 'Ada Tester',
        GIT_COMMITTER_EMAIL: 'ada@example.org',
        ...extraEnv,
      }),
    }).trim();
  const dated = (args: string[]): string => {
    clock += 1;
    const date = `@${EPOCH + clock * 60} +0000`;
    run(args, { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date });
    return run(['rev-parse', 'HEAD']);
  };

  run(['init', '--quiet', '--initial-branch=main']);
  return {
    dir,
    commit(files, message) {
      for (const [path, content] of Object.entries(files)) {
        const file = join(dir, path);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, content);
      }
      run(['add', '--all', '--', ...Object.keys(files)]);
      return dated(['commit', '--quiet', '--allow-empty', '--message', message]);
    },
    branch(name, from = 'HEAD') {
      run(['branch', '--', name, from]);
    },
    checkout(ref) {
      run(['checkout', '--quiet', ref, '--']);
    },
    merge(branch, message) {
      return dated(['merge', '--quiet', '--no-ff', '--message', message, branch]);
    },
    tag(name, ref = 'HEAD') {
      run(['tag', name, ref]);
    },
    git: (...args) => run(args),
    head: () => run(['rev-parse', 'HEAD']),
  };
}
