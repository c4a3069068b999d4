import { open, readFile, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { MirrorLocked } from './errors/mirror-locked.js';

export interface FileLockOptions {
  /** How long to wait for another holder before giving up. */
  timeoutMs?: number;
}

// A holder writes its owner right after creating the file; a lock still empty (or garbled)
// after this long was left by a process killed in between, and no one will ever remove it.
const UNWRITTEN_LOCK_STALE_MS = 5_000;

// Holders in this process queue here first, so they wait on a promise instead of polling
// a file that their own pid keeps alive.
const queues = new Map<string, Promise<void>>();

/**
 * Runs `fn` while holding an exclusive lock file (created with O_EXCL, so exactly one
 * process wins). Holders on other hosts (a shared cache on NFS) are only ever waited for;
 * a holder on this host whose pid is gone is treated as crashed and its lock is broken, and
 * so is a lock file whose owner was never written (empty or unparsable) after a few seconds.
 */
export async function withFileLock<T>(
  lockPath: string,
  fn: () => Promise<T>,
  { timeoutMs = 30 * 60_000 }: FileLockOptions = {},
): Promise<T> {
  const previous = queues.get(lockPath) ?? Promise.resolve();
  let release = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const tail = previous.then(() => gate);
  queues.set(lockPath, tail);
  try {
    await previous;
    await acquire(lockPath, timeoutMs);
    try {
      return await fn();
    } finally {
      await unlink(lockPath).catch(() => {});
    }
  } finally {
    release();
    if (queues.get(lockPath) === tail) queues.delete(lockPath);
  }
}

async function acquire(lockPath: string, timeoutMs: number): Promise<void> {
  const owner = thisProcess();
  const started = Date.now();
  let delay = 20;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(owner);
      await handle.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readFile(lockPath, 'utf8').catch(() => '');
    if (holder && holderIsDead(holder)) {
      // Re-read right before breaking it so we do not remove a lock a live process just took.
      const again = await readFile(lockPath, 'utf8').catch(() => '');
      if (again === holder) await unlink(lockPath).catch(() => {});
      continue;
    }
    if (!isOwner(holder) && (await breakUnwrittenLock(lockPath))) continue;
    const waited = Date.now() - started;
    if (waited >= timeoutMs) throw new MirrorLocked(lockPath, holder, waited);
    await sleep(delay);
    delay = Math.min(delay * 2, 500);
  }
}

/** This process as a lock owner: `pid@host`. */
export const thisProcess = () => `${process.pid}@${hostname()}`;

const isOwner = (holder: string) => /^\d+@\S+$/.test(holder);

/**
 * Removes a lock file with no parsable owner that has not changed for a while. The file is
 * looked at twice, right before unlinking, so a lock someone just re-took is left alone.
 */
async function breakUnwrittenLock(lockPath: string): Promise<boolean> {
  const before = await stat(lockPath).catch(() => undefined);
  if (!before) return true;
  if (Date.now() - before.mtimeMs < UNWRITTEN_LOCK_STALE_MS) return false;
  const holder = await readFile(lockPath, 'utf8').catch(() => '');
  const after = await stat(lockPath).catch(() => undefined);
  if (isOwner(holder) || !after || after.ino !== before.ino || after.mtimeMs !== before.mtimeMs) {
    return true;
  }
  await unlink(lockPath).catch(() => {});
  return true;
}

/** A `pid@host` owner whose process is gone from this host (owners elsewhere never are). */
export function holderIsDead(holder: string): boolean {
  const [pid, host] = holder.split('@');
  if (host !== hostname() || !pid || !/^\d+$/.test(pid)) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
