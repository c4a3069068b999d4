import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { promisify } from 'node:util';
import { SandboxUnavailable } from './errors/sandbox-unavailable.js';

const execFileAsync = promisify(execFile);

/** The unprivileged user commands run as (`sandbox.runAs`). */
export interface RunAsUser {
  name: string;
  uid: number;
  gid: number;
}

/** Looks the user up in the host's user database (getent: /etc/passwd, LDAP, ...). */
export async function resolveRunAs(name: string): Promise<RunAsUser> {
  let line: string;
  try {
    line = (await execFileAsync('getent', ['passwd', name], { timeout: 10_000 })).stdout.trim();
  } catch {
    throw new SandboxUnavailable(
      'sandbox.runAs',
      `no user '${name}' on this host; create it (useradd --system --no-create-home ${name}) or name another`,
    );
  }
  const [, , uid, gid] = line.split(':');
  const user = { name, uid: Number(uid), gid: Number(gid) };
  if (!Number.isInteger(user.uid) || !Number.isInteger(user.gid)) {
    throw new SandboxUnavailable(
      'sandbox.runAs',
      `cannot read uid/gid of '${name}' from '${line}'`,
    );
  }
  if (user.uid === 0) {
    throw new SandboxUnavailable('sandbox.runAs', `'${name}' is root; name an unprivileged user`);
  }
  const self = process.getuid?.();
  if (self !== 0 && self !== user.uid) {
    throw new SandboxUnavailable(
      'sandbox.runAs',
      `switching to '${name}' needs a worker running as root (it runs as uid ${self}); ` +
        'run the worker as root, or as that user with runAs unset',
    );
  }
  return user;
}

/**
 * Throws unless `user` can walk down to `dir`: a command cannot run in a worktree below a
 * directory it may not enter (root's own ~/.cache is mode 700), and the error must say so at
 * start, not as an EACCES in the middle of a bisect.
 */
export async function checkReachable(dir: string, user: RunAsUser): Promise<void> {
  let path = resolve(dir);
  const ancestors: string[] = [];
  for (;;) {
    const parent = dirname(path);
    if (parent === path) break;
    path = parent;
    ancestors.push(path);
  }
  for (const ancestor of ancestors) {
    const info = await stat(ancestor).catch(() => undefined);
    if (!info) continue;
    const bit = info.uid === user.uid ? 0o100 : info.gid === user.gid ? 0o010 : 0o001;
    if ((info.mode & bit) === 0) {
      throw new SandboxUnavailable(
        'sandbox.runAs',
        `'${user.name}' cannot enter ${ancestor} (mode ${(info.mode & 0o777).toString(8)}), so ` +
          `commands cannot run below ${dir}; put cacheDir and kernelBuildDir where it can ` +
          `(e.g. /var/cache/kbisect), or chmod o+x ${ancestor}`,
      );
    }
  }
}

/**
 * Gives the directories a command writes (worktree, build tree, ccache) to the user it runs
 * as. A tree already owned by the user at its top is left alone: a kernel build directory
 * the user has been building in for 50 commits need not be walked again.
 */
export async function giveTo(user: RunAsUser, dirs: readonly string[]): Promise<void> {
  for (const dir of dirs) {
    const info = await stat(dir).catch(() => undefined);
    if (!info || info.uid === user.uid) continue;
    await execFileAsync('chown', ['-R', `${user.uid}:${user.gid}`, '--', dir], {
      timeout: 10 * 60_000,
    });
  }
}
