import { open } from 'node:fs/promises';

/** The last `lines` lines of a log file: the end of a build log says why it failed. */
export async function logTail(path: string, lines = 40, maxBytes = 64 * 1024): Promise<string> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    await file.read(buffer, 0, length, size - length);
    return buffer.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } finally {
    await file.close();
  }
}
