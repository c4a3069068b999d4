import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommitNode } from '../range.js';
import type { History } from './random-history.js';

/**
 * Test support: a real git repository holding a `History`, written with `git fast-import`
 * (one process for thousands of commits) with fixed names and dates, so its shas are the
 * same on every run.
 */
export interface GitRepo {
  dir: string;
  /** Real sha of each commit of the history. */
  real: ReadonlyMap<string, string>;
  subjects: ReadonlyMap<string, string>;
  git(args: readonly string[], options?: { input?: string; allowFailure?: boolean }): string;
  remove(): void;
}

const epoch = 1_700_000_000;

export function gitEnv(home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    LANG: 'C',
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'A U Thor',
    GIT_AUTHOR_EMAIL: 'author@example.com',
    GIT_AUTHOR_DATE: `${epoch} +0000`,
    GIT_COMMITTER_NAME: 'C O Mitter',
    GIT_COMMITTER_EMAIL: 'committer@example.com',
    GIT_COMMITTER_DATE: `${epoch} +0000`,
  };
}

export function runGit(
  dir: string,
  env: NodeJS.ProcessEnv,
  args: readonly string[],
  options: { input?: string; allowFailure?: boolean } = {},
): string {
  try {
    return execFileSync('git', args, {
      cwd: dir,
      env,
      input: options.input ?? '',
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    if (options.allowFailure) return `${failed.stdout ?? ''}${failed.stderr ?? ''}`;
    throw new Error(`git ${args.join(' ')} failed: ${failed.stderr ?? failed.message}`);
  }
}

export function createGitRepo(history: History): GitRepo {
  const dir = mkdtempSync(join(tmpdir(), 'kbisect-core-'));
  const env = gitEnv(dir);
  const git = (args: readonly string[], options: { input?: string; allowFailure?: boolean } = {}) =>
    runGit(dir, env, args, options);
  git(['init', '-q', '-b', 'main']);

  const parentsOf = new Map(history.commits.map((c) => [c.sha, c.parents]));
  const mark = new Map(history.created.map((sha, i) => [sha, i + 1]));
  const subjects = new Map<string, string>();
  const stream: string[] = [];
  for (const [i, sha] of history.created.entries()) {
    const subject = `commit ${i}: ${(parentsOf.get(sha) ?? []).length > 1 ? 'merge' : 'change'}`;
    subjects.set(sha, subject);
    const stamp = `${epoch + 60 * i} +0000`;
    const content = `${i}\n`;
    stream.push(
      'commit refs/heads/main',
      `mark :${i + 1}`,
      `author A U Thor <author@example.com> ${stamp}`,
      `committer C O Mitter <committer@example.com> ${stamp}`,
      `data ${Buffer.byteLength(subject)}`,
      subject,
    );
    const [first, ...others] = parentsOf.get(sha) ?? [];
    if (first !== undefined) stream.push(`from :${mark.get(first)}`);
    for (const other of others) stream.push(`merge :${mark.get(other)}`);
    stream.push('M 644 inline counter', `data ${content.length}`, content);
  }
  stream.push('reset refs/heads/main', `from :${mark.get(history.tip)}`, '');
  const marksFile = join(dir, '.git', 'kbisect-marks');
  git(['fast-import', '--quiet', `--export-marks=${marksFile}`], { input: stream.join('\n') });
  git(['reset', '-q', '--hard', 'main']);

  const byMark = new Map<number, string>();
  for (const line of readFileSync(marksFile, 'utf8').split('\n')) {
    const [m, real] = line.split(' ');
    if (m && real) byMark.set(Number(m.slice(1)), real);
  }
  const real = new Map(history.created.map((sha, i) => [sha, byMark.get(i + 1) as string]));
  const realSubjects = new Map([...subjects].map(([sha, s]) => [real.get(sha) as string, s]));
  return {
    dir,
    real,
    subjects: realSubjects,
    git,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Parses `git rev-list --parents` output into the range's commits. */
export function parseRevList(output: string): CommitNode[] {
  return output
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const [sha = '', ...parents] = line.split(' ');
      return { sha, parents };
    });
}
