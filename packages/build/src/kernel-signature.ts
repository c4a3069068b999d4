import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * A signature of what the kernel executes: the sha256 of vmlinux's .text section, as
 * syzkaller compares kernel images to doubt a culprit that "changes nothing". The version
 * string (it names the commit) and the build stamp live in other sections, so two commits
 * that only differ in comments get the same signature. Without a vmlinux (or objcopy) the
 * signature falls back to the image itself, which differs for every commit.
 */
export async function kernelSignature(
  buildDir: string,
  imagePath: string,
  crossCompile = '',
): Promise<string> {
  const vmlinux = join(buildDir, 'vmlinux');
  if (existsSync(vmlinux)) {
    const text = join(buildDir, '.kbisect-text.bin');
    try {
      await execFileAsync(`${crossCompile}objcopy`, [
        '-O',
        'binary',
        '--only-section=.text',
        vmlinux,
        text,
      ]);
      return `text:${createHash('sha256')
        .update(await readFile(text))
        .digest('hex')}`;
    } catch {
      // Not an ELF file objcopy can read: use the image below.
    } finally {
      await rm(text, { force: true });
    }
  }
  return `image:${createHash('sha256')
    .update(await readFile(imagePath))
    .digest('hex')}`;
}
