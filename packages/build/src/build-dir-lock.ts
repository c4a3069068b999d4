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

/**
 * Holds a build directory for one build at a time, across processes: a lock file created
 * exclusively, holding the owner's pid. A lock whose owner died (a killed worker) is taken
 * over; one held by a live process (this one included) is waited for.
 */
export async function withBuildDirLock<T>(
  lockPath: string,
  signal: AbortSignal,
  fn: () => Promise<T>,
): Promise<T> {
  for (;;) {
    signal.throwIfAborted();
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
      if (Number.isSafeInteger(owner) && owner > 0 && !alive(owner)) {
        await rm(lockPath, { force: true });
        continue;
      }
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockPath, { force: true });
  }
}
