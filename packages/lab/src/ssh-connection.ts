import { NodeSSH } from 'node-ssh';
import { HostKeyMismatch } from './errors/host-key-mismatch.js';
import { LabAuthFailed } from './errors/lab-auth-failed.js';
import { LabUnreachable } from './errors/lab-unreachable.js';
import { hostKeyFingerprint } from './host-key.js';
import type { LabConfig } from './lab-config.js';

export interface ConnectOptions {
  /** How long the TCP connect + SSH handshake may take. */
  readyTimeoutMs?: number;
}

/**
 * Opens an SSH session to the lab, accepting only the pinned host key. Every failure is
 * one named error: HostKeyMismatch (with both fingerprints), LabAuthFailed, LabUnreachable.
 */
export async function connectLab(
  config: LabConfig,
  options: ConnectOptions = {},
): Promise<NodeSSH> {
  const ssh = new NodeSSH();
  let presented: string | undefined;
  try {
    await ssh.connect({
      host: config.host,
      port: config.port,
      username: config.user,
      ...(config.privateKeyPath
        ? { privateKeyPath: config.privateKeyPath }
        : { agent: process.env.SSH_AUTH_SOCK }),
      readyTimeout: options.readyTimeoutMs ?? 20_000,
      keepaliveInterval: 5_000,
      keepaliveCountMax: 3,
      hostVerifier: (key: Buffer) => {
        presented = hostKeyFingerprint(key);
        return presented === config.hostKeyFingerprint;
      },
    });
    // node-ssh listens for errors only while it connects or runs a command. An idle session
    // whose lab went away under it (power-cycled or kexec'd by another holder, a keepalive
    // timeout) would otherwise emit an unhandled 'error' that ends the worker process. The
    // session is dropped at once, so the next use connects again.
    ssh.connection?.on('error', () => ssh.dispose());
    return ssh;
  } catch (error) {
    ssh.dispose();
    const message = (error as Error).message ?? String(error);
    if (presented !== undefined && presented !== config.hostKeyFingerprint) {
      throw new HostKeyMismatch(config.name, config.hostKeyFingerprint, presented);
    }
    if (/authentication|auth methods|publickey/i.test(message)) {
      throw new LabAuthFailed(config.name, config.user, message);
    }
    throw new LabUnreachable(config.name, `${config.host}:${config.port}`, message);
  }
}
