import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNeeding } from '../../../../test/support/requirements.js';
import { startTestSshd, TEST_SSHD_NEEDS, type TestSshd } from './test-sshd.js';

/**
 * Each ssh call is a new connection: ~0.1 s here, but ~3 s each at load 8 (a loaded CI host),
 * where the first test ran out of its 30 s.
 */
const SSH_TEST_MS = 120_000;

/**
 * The simulated lab the service's pool test boots kernels on: its stand-in kexec "boots" an
 * uploaded image, and nothing else that names kexec gets past its gate (this machine runs the
 * tests as root, where the real kexec would reboot it).
 */
describeNeeding(...TEST_SSHD_NEEDS)('a test sshd with simulateKexec', () => {
  let lab: TestSshd;
  beforeAll(async () => {
    lab = await startTestSshd('sim', { simulateKexec: { bootSeconds: 0 } });
  }, 30_000);
  afterAll(() => lab?.stop());

  const ssh = (command: string) => {
    try {
      const key = lab.lab.privateKeyPath as string;
      const options = ['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null'];
      const args = ['-p', String(lab.port), '-i', key, ...options, '-o', 'LogLevel=ERROR'];
      return execFileSync('ssh', [...args, '127.0.0.1', command], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }).trim();
    } catch (error) {
      return `exit ${(error as { status: number }).status}`;
    }
  };

  it(
    "boots an uploaded image with deployKernel's two commands: new boot id, its release",
    async () => {
      const bootId = ssh('cat /proc/sys/kernel/random/boot_id');
      expect(bootId).not.toBe(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
      const image = join(lab.dir, 'image');
      writeFileSync(
        image,
        Buffer.concat([Buffer.from([0x7f, 0, 1]), Buffer.from('1.0.0-kb-0123456789ab')]),
      );
      expect(ssh(`mkdir -p /tmp/kbisect && cp ${image} /tmp/kbisect/kernel`)).toBe('');
      // /tmp/kbisect is the lab's own: another lab on this machine does not see the upload.
      expect(existsSync(join(lab.dir, 'remote', 'kernel'))).toBe(true);
      expect(ssh("kexec -l /tmp/kbisect/kernel '--command-line=console=ttyS0 quiet'")).toBe('');
      ssh("setsid sh -c 'sleep 0.5; kexec -e' </dev/null >/dev/null 2>&1 &");
      for (let i = 0; i < 50 && ssh('uname -r') !== '1.0.0-kb-0123456789ab'; i++) await sleep(100);
      expect(ssh('uname -r')).toBe('1.0.0-kb-0123456789ab');
      expect(ssh('cat /proc/sys/kernel/random/boot_id')).not.toBe(bootId);
      expect(ssh('cmp "$KBISECT_TEST_LAB/running-kernel" /tmp/kbisect/kernel && echo same')).toBe(
        'same',
      );
      expect(existsSync(lab.kexecAttempts)).toBe(false);
    },
    SSH_TEST_MS,
  );

  it(
    'refuses every other command naming kexec, and records it',
    () => {
      const refused = [
        'kexec -e',
        'kexec -l x; PATH=/usr/sbin kexec -e',
        'kexec -l x $(/usr/sbin/kexec -e)',
        'kexec -l `true`',
        "kexec -l 'a b'\nkexec -e",
        'sudo kexec -e',
        '/usr/sbin/kexec -e',
        'systemctl kexec',
      ];
      for (const command of refused) expect(ssh(command), command).toBe('exit 99');
      expect(readFileSync(lab.kexecAttempts, 'utf8')).toBe(`${refused.join('\n')}\n`);
    },
    SSH_TEST_MS,
  );
});
