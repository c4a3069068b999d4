import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Requirement, SSH_KEYGEN, SSHD } from '../../../../test/support/requirements.js';
import type { LabConfig } from '../lab-config.js';

/**
 * A real OpenSSH server on a loopback port of this machine, for the lab tests: its own
 * host key, config and authorized key in a temp directory, started as a child and stopped
 * by its pid. It runs as whoever runs the tests (root or not: an sshd started by a user
 * accepts only that user's logins, which is all a test needs). Every command goes through a ForceCommand gate that refuses anything naming
 * kexec (and records the attempt), so no test can reboot this machine even if a guard
 * in the code under test were broken.
 */
export interface TestSshd {
  dir: string;
  port: number;
  /** A lab config for this server (host key pinned, key of the test). */
  lab: LabConfig;
  /** The file the gate writes when a command named kexec. */
  kexecAttempts: string;
  hostKeyFingerprint: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** What `startTestSshd` runs: tests that use it are described with `describeNeeding(...)`. */
export const TEST_SSHD_NEEDS: readonly Requirement[] = [SSHD, SSH_KEYGEN];

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startTestSshd(name = 'test-lab'): Promise<TestSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'kbisect-sshd-'));
  const port = await freePort();
  const hostKey = join(dir, 'host_ed25519');
  const clientKey = join(dir, 'client_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', clientKey]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${clientKey}.pub`));
  const kexecAttempts = join(dir, 'kexec-attempts');
  const gate = join(dir, 'gate.sh');
  writeFileSync(
    gate,
    `#!/bin/sh
case "$SSH_ORIGINAL_COMMAND" in
  *kexec*) echo "$SSH_ORIGINAL_COMMAND" >> '${kexecAttempts}'; echo 'test sshd: kexec refused' >&2; exit 99 ;;
esac
exec /bin/sh -c "$SSH_ORIGINAL_COMMAND"
`,
    { mode: 0o755 },
  );
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `ForceCommand ${gate}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  // sshd started by root refuses to start without its privilege separation directory; one
  // started by another user does without (it cannot change users anyway).
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const deadline = Date.now() + 10_000;
  while (!(await listening(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`test sshd did not start: ${stderr}`);
    }
    await sleep(50);
  }
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${hostKey}.pub`], {
    encoding: 'utf8',
  }).split(/\s+/)[1] as string;
  return {
    dir,
    port,
    kexecAttempts,
    hostKeyFingerprint: fingerprint,
    lab: {
      name,
      host: '127.0.0.1',
      port,
      user: userInfo().username,
      privateKeyPath: clientKey,
      hostKeyFingerprint: fingerprint,
      pool: 'test',
      arch: 'x86_64',
      cmdline: 'console=ttyS0',
      bootTimeoutSeconds: 5,
      sharesBuildHost: true,
    },
    async stop() {
      if (child.pid !== undefined && child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
