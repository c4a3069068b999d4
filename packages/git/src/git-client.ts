import { type SimpleGit, simpleGit } from 'simple-git';
import { GitCommandFailed } from './errors/git-command-failed.js';

/**
 * A simple-git instance for `dir` whose failures always carry the exit code. Arguments are
 * passed as an argv array to `git`, never through a shell.
 */
export function gitIn(dir: string): SimpleGit {
  return simpleGit({
    baseDir: dir,
    // Replaces simple-git's own error for every exit status git chose, so callers can tell
    // "git said no" (status 1) from "git failed"; spawn failures keep simple-git's error.
    errors(error, result) {
      if (result.exitCode > 0) {
        return new GitCommandFailed(result.exitCode, Buffer.concat(result.stdErr).toString('utf8'));
      }
      return error;
    },
  });
}

/** True when `error` is git exiting with `code` (e.g. 1 for "no" from `--is-ancestor`). */
export function exitedWith(error: unknown, code: number): boolean {
  return error instanceof GitCommandFailed && error.exitCode === code;
}
