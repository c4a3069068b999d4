import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Repository } from '@kbisect/git';
import type { Mailbox } from '@kbisect/notify';
import type { Sandbox } from '@kbisect/sandbox';

const run = promisify(execFile);

/** get_maintainer.pl reads the whole MAINTAINERS file; a minute is ample on a slow host. */
const TIMEOUT_MS = 60_000;

/**
 * The maintainers and lists a kernel tree's scripts/get_maintainer.pl names for the culprit's
 * patch, as LKP Ccs them. The script is the tree's own code, so it runs in the sandbox like a
 * build; a tree without it (not a kernel) or a script that fails gives no one, never an error:
 * the mail goes to the author either way.
 */
export async function maintainersOf(
  repository: Repository,
  culprit: string,
  { sandbox, baseDir }: { sandbox: Sandbox; baseDir: string },
): Promise<Mailbox[]> {
  const worktree = await repository.addWorktree(culprit, { baseDir });
  try {
    if (!existsSync(join(worktree.path, 'scripts', 'get_maintainer.pl'))) return [];
    // Our own git, on our mirror's commit: the patch the script reads.
    const patch = await run('git', ['format-patch', '-1', '--stdout', culprit], {
      cwd: worktree.path,
      maxBuffer: 64 * 1024 * 1024,
    });
    await writeFile(join(worktree.path, '.kbisect-culprit.patch'), patch.stdout);
    const answer = await sandbox.output(
      [
        'perl',
        'scripts/get_maintainer.pl',
        '--no-rolestats',
        '--no-git',
        '--no-git-fallback',
        '.kbisect-culprit.patch',
      ],
      { cwd: worktree.path, writable: [worktree.path] },
      TIMEOUT_MS,
    );
    return answer.exitCode === 0 ? parseMaintainers(answer.stdout) : [];
  } finally {
    await worktree.remove();
  }
}

/** "Jane Doe <jane@example.org>" and "netdev@vger.kernel.org" lines, one person each. */
export function parseMaintainers(output: string): Mailbox[] {
  const people: Mailbox[] = [];
  for (const line of output.split('\n')) {
    const named = /^\s*"?([^"<>]*?)"?\s*<([^<>\s@]+@[^<>\s@]+)>/.exec(line);
    if (named?.[2]) {
      people.push({ ...(named[1] ? { name: named[1] } : {}), address: named[2] });
      continue;
    }
    const bare = /^\s*([^<>\s@()]+@[^<>\s@()]+)(\s|$)/.exec(line);
    if (bare?.[1]) people.push({ address: bare[1] });
  }
  return people;
}
