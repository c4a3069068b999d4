import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SourceCheckoutFailed } from './errors/source-checkout-failed.js';

const execFileAsync = promisify(execFile);

async function git(args: string[], commit: string): Promise<void> {
  try {
    await execFileAsync('git', args, { maxBuffer: 16 * 1024 * 1024, timeout: 15 * 60_000 });
  } catch (error) {
    const { stderr = '', message } = error as Error & { stderr?: string };
    throw new SourceCheckoutFailed(commit, stderr || message);
  }
}

/**
 * Puts `commit` into the build's one long-lived source tree. The same directory is checked
 * out commit after commit, so git rewrites only the files that differ and only their mtimes
 * move: make then rebuilds just what the step changed (a fresh checkout per commit would make
 * every object look stale). The tree is a `--shared` clone of the mirror: it reads the
 * mirror's objects directly, sees commits fetched later without a fetch of its own, and adds
 * no worktree bookkeeping to the mirror that other processes use.
 */
export async function checkoutSource(
  mirrorPath: string,
  srcDir: string,
  commit: string,
): Promise<void> {
  if (!existsSync(join(srcDir, '.git'))) {
    await git(['clone', '--quiet', '--shared', '--no-checkout', mirrorPath, srcDir], commit);
  }
  await git(
    [
      '-C',
      srcDir,
      '-c',
      'advice.detachedHead=false',
      'checkout',
      '--quiet',
      '--detach',
      '--force',
      commit,
    ],
    commit,
  );
  // Anything left in the tree (an in-tree .config, a stray object) would make an O= build
  // refuse to start or build something other than the commit.
  await git(['-C', srcDir, 'clean', '-fdxq'], commit);
}
