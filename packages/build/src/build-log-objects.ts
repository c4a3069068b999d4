import { open } from 'node:fs/promises';
import { ObjectLineCounter } from './build-progress.js';

/**
 * The objects a kernel build has compiled so far, counted from its log file as make writes
 * it: each read takes only the bytes added since the last one, so a tick costs a few hundred
 * kB at most, however long the build runs.
 */
export class BuildLogObjects {
  private readonly counter = new ObjectLineCounter();
  private offset = 0;

  constructor(private readonly logPath: string) {}

  async count(): Promise<number> {
    const file = await open(this.logPath, 'r').catch(() => undefined);
    if (!file) return this.counter.count;
    try {
      const { size } = await file.stat();
      if (size > this.offset) {
        const buffer = Buffer.alloc(size - this.offset);
        const { bytesRead } = await file.read(buffer, 0, buffer.length, this.offset);
        this.offset += bytesRead;
        // A multi-byte character cut at the end is only ever in a path, never in "  CC ".
        this.counter.push(buffer.subarray(0, bytesRead).toString('utf8'));
      }
    } finally {
      await file.close();
    }
    return this.counter.count;
  }
}
