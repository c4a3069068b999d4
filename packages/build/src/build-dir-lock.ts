import { open, readFile, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock file if it is free (or its owner died); false when a live process holds it. */
async function tryLock(lockPath: string): Promise<boolean> {
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
      if (Number.isSafeInteger(owner) && owner > 0 && !alive(owner)) {
        await rm(lockPath, { force: true });
        continue;
      }
      return false;
    }
  }
}

/**
 * Holds one of several interchangeable build directories for one build, across processes:
 * the first free one in the order given, so the first directory is the one most often warm.
 * Each has a lock file created exclusively, holding the owner's pid. A lock whose owner died
 * (a killed worker) is taken over; when every directory is held by a live process (this one
 * included), the build waits for the first to be given back. `fn` gets the index of the
 * directory it holds.
 */
export async function withFreeBuildDir<T>(
  lockPaths: readonly string[],
  signal: AbortSignal,
  fn: (index: number) => Promise<T>,
): Promise<T> {
  let held = -1;
  while (held < 0) {
    signal.throwIfAborted();
    for (const [index, lockPath] of lockPaths.entries()) {
      if (await tryLock(lockPath)) {
        held = index;
        break;
      }
    }
    if (held < 0) await sleep(500);
  }
  try {
    return await fn(held);
  } finally {
    await rm(lockPaths[held] as string, { force: true });
  }
}
