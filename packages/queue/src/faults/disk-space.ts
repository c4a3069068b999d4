import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';

export interface DiskSpace {
  dir: string;
  freeBytes: number;
  totalBytes: number;
}

/**
 * Free space of the file system that holds `dir` (as an unprivileged process may use it); a
 * directory not made yet is measured on its nearest existing parent. Undefined when none can
 * be read.
 */
export function diskSpace(dir: string): DiskSpace | undefined {
  for (let at = dir; ; at = dirname(at)) {
    try {
      const stats = statfsSync(at);
      return {
        dir,
        freeBytes: stats.bavail * stats.bsize,
        totalBytes: stats.blocks * stats.bsize,
      };
    } catch {
      if (dirname(at) === at) return undefined;
    }
  }
}

const mb = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MB`;

/** "3.2 MB free of 8.0 MB in /var/cache/kbisect": the figure a person reads. */
export function describeDiskSpace(space: DiskSpace): string {
  return `${mb(space.freeBytes)} free of ${mb(space.totalBytes)} in ${space.dir}`;
}
