import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
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
  /** The file the gate writes when a command named kexec (or, simulated, a kexec by path). */
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

export interface TestSshdOptions {
  /**
   * Make the server a lab of its own that kbisect can boot kernels on, without any real kexec:
   * it says its own boot id (`/proc/sys/kernel/random/boot_id` is read from its directory) and
   * release (`uname -r`), keeps its uploads in its own directory (`/tmp/kbisect` is mapped
   * there, so labs on one machine do not share files), and `kexec` is a stand-in script first
   * on PATH: `-l` keeps the image, `-e` "boots" it after `bootSeconds`, that is makes it
   * `$KBISECT_TEST_LAB/running-kernel` with a new boot id and, as release, the kbisect release
   * (`X.Y.Z-kb-<sha>`) found in the image. Oracles read `$KBISECT_TEST_LAB`. Only the two
   * kexec commands deployKernel sends reach the stand-in; any other command naming kexec, any
   * path to it, systemctl or sudo (whose PATH would find the real one) is refused and recorded.
   */
  simulateKexec?: { bootSeconds: number };
}

export async function startTestSshd(
  name = 'test-lab',
  options: TestSshdOptions = {},
): Promise<TestSshd> {
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
    options.simulateKexec
      ? simulatedLabGate(dir, kexecAttempts, options.simulateKexec.bootSeconds)
      : `#!/bin/sh
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

/**
 * The ForceCommand gate of a simulated lab (TestSshdOptions.simulateKexec), and the stand-ins
 * it puts first on PATH. The real kexec is never reachable: the gate lets through only the
 * two kexec commands of deployKernel, whose bare `kexec` finds the stand-in.
 */
function simulatedLabGate(dir: string, kexecAttempts: string, bootSeconds: number): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  mkdirSync(join(dir, 'remote'));
  writeFileSync(join(dir, 'release'), '0.0.0-test-lab\n');
  writeFileSync(join(dir, 'boot_id'), `${randomUUID()}\n`);
  writeFileSync(
    join(bin, 'kexec'),
    `#!/bin/sh
# Stand-in for kexec on a simulated lab: files in ${dir}, never a reboot.
case "$1" in
  -l) cp "$2" '${dir}/loaded' ;;
  -e)
    [ -f '${dir}/loaded' ] || { echo 'kexec: no kernel loaded' >&2; exit 1; }
    release=$(grep -aoE '[0-9][0-9.]*-kb-[0-9a-f]{12}' '${dir}/loaded' | tail -n 1)
    sleep ${bootSeconds}
    mv '${dir}/loaded' '${dir}/running-kernel'
    chmod +x '${dir}/running-kernel'
    printf '%s\n' "\${release:-unknown}" > '${dir}/release'
    cat /proc/sys/kernel/random/uuid > '${dir}/boot_id' ;;
  *) echo "kexec stand-in: unsupported $*" >&2; exit 1 ;;
esac
`,
    { mode: 0o755 },
  );
  writeFileSync(
    join(bin, 'uname'),
    `#!/bin/sh
if [ "$1" = -r ]; then cat '${dir}/release'; else exec /bin/uname "$@"; fi
`,
    { mode: 0o755 },
  );
  return `#!/bin/sh
cmd=$(printf '%s' "$SSH_ORIGINAL_COMMAND" | sed -e 's#/tmp/kbisect\\([^A-Za-z0-9_.-]\\|$\\)#${dir}/remote\\1#g' -e 's#/proc/sys/kernel/random/boot_id#${dir}/boot_id#g')
refuse() { echo "$SSH_ORIGINAL_COMMAND" >> '${kexecAttempts}'; echo 'test sshd: kexec refused' >&2; exit 99; }
nl='
'
case "$cmd" in
  */kexec*|*systemctl*|*sudo*|*"$nl"*kexec*|*kexec*"$nl"*) refuse ;;
  # The two commands deployKernel sends, and nothing else naming kexec: they find the stand-in.
  "setsid sh -c 'sleep 0.5; kexec -e' </dev/null >/dev/null 2>&1 &") ;;
  'kexec -l '*[';&|$\`<>()']*) refuse ;;
  'kexec -l '*) ;;
  *kexec*) refuse ;;
esac
export PATH='${bin}':"$PATH" KBISECT_TEST_LAB='${dir}'
exec /bin/sh -c "$cmd"
`;
}
