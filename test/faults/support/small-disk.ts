import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A small tmpfs the test mounts (it runs as root) and fills at will: the cache of a service
 * whose disk runs full mid-bisect. `unmount` in cleanup, after the processes using it stopped.
 */
export class SmallDisk {
  private constructor(readonly dir: string) {}

  static mount(dir: string, sizeMb: number): SmallDisk {
    if (process.getuid?.() !== 0) {
      throw new Error(
        'the disk-full tests mount a tmpfs and must run as root (npm run test:faults as root, ' +
          'e.g. in the CI container)',
      );
    }
    mkdirSync(dir, { recursive: true });
    execFileSync('mount', [
      '-t',
      'tmpfs',
      '-o',
      `size=${sizeMb}m,mode=0755`,
      'kbisect-faults',
      dir,
    ]);
    return new SmallDisk(dir);
  }

  get #filler() {
    return join(this.dir, 'filler');
  }

  /** Writes zeros until the file system is full (dd stops at ENOSPC). */
  fill(): void {
    spawnSync('dd', ['if=/dev/zero', `of=${this.#filler}`, 'bs=64k'], { stdio: 'ignore' });
  }

  free(): void {
    rmSync(this.#filler, { force: true });
  }

  /** Unmounts (lazily, if a straggler still holds a file open) and removes the mount point. */
  unmount(): void {
    const result = spawnSync('umount', [this.dir], { stdio: 'ignore' });
    if (result.status !== 0) spawnSync('umount', ['-l', this.dir], { stdio: 'ignore' });
    rmSync(this.dir, { recursive: true, force: true });
  }
}
