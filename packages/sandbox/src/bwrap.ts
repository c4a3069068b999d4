import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SAFE_PATH } from './clean-environment.js';
import type { RunAsUser } from './run-as.js';

const execFileAsync = promisify(execFile);

export const BWRAP_INSTALL = 'apt-get install bubblewrap';

/** Where bwrap is, on the worker's PATH or the fixed one. */
export async function findBwrap(): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(':'), ...SAFE_PATH.split(':')];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, 'bwrap');
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/**
 * Runs `true` in the sandbox the way commands will run: as the runAs user (bwrap then needs
 * unprivileged user namespaces) with the namespaces every command gets. Undefined when it
 * works, else why not.
 */
export async function probeBwrap(bwrap: string, user?: RunAsUser): Promise<string | undefined> {
  try {
    await execFileAsync(
      bwrap,
      [...NAMESPACES, '--unshare-net', '--ro-bind', '/', '/', '--proc', '/proc', '--', 'true'],
      { timeout: 15_000, env: {}, ...(user ? { uid: user.uid, gid: user.gid } : {}) },
    );
    return undefined;
  } catch (error) {
    const { stderr = '', message } = error as Error & { stderr?: string };
    return (stderr.trim() || message).split('\n')[0];
  }
}

// A pid namespace: the command sees only its own processes (no /proc/<worker>/environ) and
// all of them die with it, even those that left its process group.
const NAMESPACES = ['--die-with-parent', '--unshare-pid', '--unshare-ipc', '--unshare-uts'];

export interface BwrapMounts {
  cwd: string;
  /** Bound read-write at the same path. */
  writable: readonly string[];
  /** Bound read-only at the same path, for what lies inside a hidden directory. */
  readable: readonly string[];
  /** Covered: directories by an empty tmpfs, files by /dev/null. */
  hidden: readonly string[];
  network: boolean;
}

/**
 * bwrap's arguments for one command: the host read-only, a fresh /tmp, minimal /dev and a
 * /proc of its own, the service's files covered, then the command's own directories bound
 * back (mounts apply in order, so a worktree inside the hidden cache is visible again).
 */
export function bwrapArgs(mounts: BwrapMounts): string[] {
  const args = [...NAMESPACES];
  if (!mounts.network) args.push('--unshare-net');
  args.push('--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp');
  for (const path of mounts.hidden) {
    if (!existsSync(path)) continue;
    if (statSync(path).isDirectory()) args.push('--tmpfs', path);
    else args.push('--ro-bind', '/dev/null', path);
  }
  for (const path of mounts.readable) args.push('--ro-bind', path, path);
  for (const path of mounts.writable) args.push('--bind', path, path);
  args.push('--chdir', mounts.cwd);
  return args;
}
