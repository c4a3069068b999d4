import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** OpenSSH's fingerprint of a public key line (`ssh-ed25519 AAAA... comment`): SHA256:base64. */
export function fingerprintOfPublicKey(line: string): string {
  const blob = line.trim().split(/\s+/)[1];
  if (!blob) throw new Error(`not a public key line: ${line}`);
  const digest = createHash('sha256').update(Buffer.from(blob, 'base64')).digest('base64');
  return `SHA256:${digest.replace(/=+$/, '')}`;
}

/** The key the worker logs in with; made once, kept with the lab's other files. */
export async function ensureClientKey(path: string): Promise<string> {
  if (!existsSync(path)) {
    await execFileAsync('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-C',
      'kbisect-worker',
      '-f',
      path,
    ]);
  }
  return (await readFile(`${path}.pub`, 'utf8')).trim();
}

/**
 * The lab's SSH host key, generated before the lab ever boots, so that its fingerprint can
 * be pinned in the lab config from the start: the worker never has to trust a first answer.
 */
export async function ensureDropbearHostKey(
  path: string,
): Promise<{ publicKey: string; fingerprint: string }> {
  if (!existsSync(path)) {
    await execFileAsync('dropbearkey', ['-t', 'ed25519', '-f', path]);
  }
  const { stdout } = await execFileAsync('dropbearkey', ['-y', '-f', path]);
  const publicKey = stdout.split('\n').find((line) => line.startsWith('ssh-'));
  if (!publicKey) throw new Error(`dropbearkey -y printed no public key for ${path}`);
  return { publicKey: publicKey.trim(), fingerprint: fingerprintOfPublicKey(publicKey) };
}
