import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { LabSession } from './lab-session.js';
import { shellQuote } from './shell-quote.js';

/**
 * Puts a static splice-bench on the lab (once per binary and boot: /tmp is lost on every
 * kexec of an initramfs lab) and returns its path there, for `runSpliceBench(session.runner(),
 * path, options)`. Named by content hash, so a newer binary is never confused with an old one.
 */
export async function installSpliceBench(
  session: LabSession,
  localBinary: string,
): Promise<string> {
  const hash = createHash('sha256')
    .update(await readFile(localBinary))
    .digest('hex')
    .slice(0, 16);
  const remote = `/tmp/kbisect/splice-bench-${hash}`;
  const present = await session.exec(`test -x ${shellQuote(remote)}`);
  if (present.code !== 0) {
    await session.upload(localBinary, remote);
    await session.check(`chmod 755 ${shellQuote(remote)}`);
  }
  return remote;
}
