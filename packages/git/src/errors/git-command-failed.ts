import { GitError } from 'simple-git';

/**
 * A git command exited non-zero. simple-git treats a non-zero exit with an empty stderr as
 * success, which would turn `merge-base --is-ancestor` answering "no" into "yes"; every git
 * call in this package therefore fails with this error, which keeps the exit code. It extends
 * simple-git's GitError because simple-git rethrows any other error class as a plain
 * GitError, dropping the exit code.
 */
export class GitCommandFailed extends GitError {
  override readonly name = 'GitCommandFailed';

  constructor(
    readonly exitCode: number,
    readonly stderr: string,
  ) {
    super(undefined, `git exited with code ${exitCode}${stderr ? `: ${stderr.trim()}` : ''}`);
  }
}
