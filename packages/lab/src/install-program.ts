import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { LabSession } from './lab-session.js';
import { shellQuote } from './shell-quote.js';

/**
 * Puts a program built on the worker host (a static splice-bench) on the lab, once per
 * content and boot (/tmp is lost on every kexec of an initramfs lab), and returns its path
 * there. Named by content hash, so a newer binary is never confused with an old one.
 */
export async function installProgram(
  session: LabSession,
  localPath: string,
  remoteDir = '/tmp/kbisect',
): Promise<string> {
  const hash = createHash('sha256')
    .update(await readFile(localPath))
    .digest('hex')
    .slice(0, 16);
  const remote = `${remoteDir}/${basename(localPath)}-${hash}`;
  const present = await session.exec(`test -x ${shellQuote(remote)}`);
  if (present.code !== 0) {
    await session.upload(localPath, remote);
    await session.check(`chmod 755 ${shellQuote(remote)}`);
  }
  return remote;
}
