import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';

/** What an fs error code means for a directory the service must write. */
const MEANING: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  ENOTDIR: 'a part of the path is a file, not a directory',
  ENOENT: 'a part of the path does not exist and cannot be created',
  EEXIST: 'a file stands where the directory should be',
};

/**
 * Why the cache directory (git mirrors live under it) cannot be used, or undefined when it
 * can: /readyz reports it and a POST that needs a mirror answers 503 with it, instead of a
 * 500 that says "ENOENT mkdir" and leaves the operator guessing.
 */
export async function cacheDirProblem(cacheDir: string): Promise<string | undefined> {
  try {
    await mkdir(cacheDir, { recursive: true });
    await access(cacheDir, constants.W_OK | constants.X_OK);
    return undefined;
  } catch (error) {
    return describeCacheError(cacheDir, error);
  }
}

/** The message for an fs error met under the cache directory, or undefined for any other error. */
export function describeCacheError(cacheDir: string, error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (!code || !(code in MEANING)) return undefined;
  return (
    `the service's cache directory ${cacheDir} (cacheDir) cannot be written: ${MEANING[code]} ` +
    `(${code}); an operator must fix the path, its permissions or its disk`
  );
}
