import { createHash } from 'node:crypto';

/** OpenSSH's fingerprint of a raw host key blob: `SHA256:` + unpadded base64 of its sha256. */
export function hostKeyFingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}
