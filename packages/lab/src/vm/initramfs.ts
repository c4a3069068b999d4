import { execFile } from 'node:child_process';
import {
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  readFile,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The line /init prints on the serial console once dropbear listens. */
export const SSHD_UP_MARKER = 'kbisect-lab: sshd up';

export interface InitramfsOptions {
  /** The worker's public key, for /root/.ssh/authorized_keys. */
  authorizedKey: string;
  /** A dropbear host key file (dropbearkey format). */
  hostKeyPath: string;
  /** A static splice-bench, installed as /bin/splice-bench. */
  spliceBench: string;
  out: string;
}

/**
 * /init of the lab: mount the pseudo file systems, bring up lo and the NIC with QEMU's
 * user-mode address and no default route (the lab needs inbound SSH only), start dropbear,
 * say so on the console, then stay alive as PID 1.
 */
const INIT = `#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /tmp /run /var/run /var/log
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
ip link set lo up
for nic in eth0 eth1; do
  if ip link set "$nic" up 2>/dev/null; then
    ip addr add 10.0.2.15/24 dev "$nic"
    break
  fi
done
dropbear -r /etc/dropbear/dropbear_ed25519_host_key -p 22 -s -R -E 2>>/var/log/dropbear.log
echo "${SSHD_UP_MARKER} boot_id=$(cat /proc/sys/kernel/random/boot_id) release=$(uname -r)" >/dev/console
while true; do sleep 3600; done
`;

async function sharedLibraries(binary: string): Promise<string[]> {
  const { stdout } = await execFileAsync('ldd', [binary]);
  const libs: string[] = [];
  for (const line of stdout.split('\n')) {
    const match = /(\/\S+)\s+\(0x/.exec(line);
    if (match?.[1]) libs.push(match[1]);
  }
  return libs;
}

async function which(program: string): Promise<string> {
  const { stdout } = await execFileAsync('sh', ['-c', `command -v ${program}`]);
  return stdout.trim();
}

/**
 * Packs the lab's whole userland into a gzip'd newc cpio: busybox (static), dropbear and
 * kexec with their shared libraries, splice-bench, a pinned host key and the worker's key.
 * Boots in seconds under TCG, where a Debian image takes 13 s (LAB-NOTES).
 */
export async function buildInitramfs(options: InitramfsOptions): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'kbisect-initramfs-'));
  try {
    for (const dir of ['bin', 'dev', 'proc', 'sys', 'tmp', 'etc/dropbear', 'root/.ssh', 'lib64']) {
      await mkdir(join(root, dir), { recursive: true });
    }
    for (const alias of ['sbin', 'usr/bin', 'usr/sbin']) {
      await mkdir(dirname(join(root, alias)), { recursive: true });
      await symlink(alias.startsWith('usr/') ? '../bin' : 'bin', join(root, alias));
    }
    await copyFile('/bin/busybox', join(root, 'bin/busybox'));
    const { stdout } = await execFileAsync('/bin/busybox', ['--list']);
    for (const applet of stdout.split('\n')) {
      // `busybox --list` names busybox itself: a symlink over it would destroy the binary.
      if (!applet || applet === 'busybox') continue;
      await symlink('busybox', join(root, 'bin', applet)).catch(() => {});
    }
    const programs = [await which('dropbear'), await which('kexec')];
    const libraries = new Set<string>();
    for (const program of programs) {
      await rm(join(root, 'bin', basename(program)), { force: true });
      await copyFile(program, join(root, 'bin', basename(program)));
      for (const lib of await sharedLibraries(program)) libraries.add(lib);
    }
    for (const lib of libraries) {
      await mkdir(join(root, dirname(lib)), { recursive: true });
      await copyFile(lib, join(root, lib));
    }
    await copyFile(options.spliceBench, join(root, 'bin/splice-bench'));
    await chmod(join(root, 'bin/splice-bench'), 0o755);
    await copyFile(options.hostKeyPath, join(root, 'etc/dropbear/dropbear_ed25519_host_key'));
    await chmod(join(root, 'etc/dropbear/dropbear_ed25519_host_key'), 0o600);
    await writeFile(join(root, 'root/.ssh/authorized_keys'), `${options.authorizedKey}\n`, {
      mode: 0o600,
    });
    await chmod(join(root, 'root/.ssh'), 0o700);
    await writeFile(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    await writeFile(join(root, 'etc/group'), 'root:x:0:\n');
    await writeFile(join(root, 'etc/shells'), '/bin/sh\n');
    await writeFile(join(root, 'init'), INIT, { mode: 0o755 });
    await execFileAsync(
      'sh',
      [
        '-c',
        'find . -print0 | cpio --null -o -H newc -R 0:0 --quiet | gzip -6 > "$1"',
        'sh',
        options.out,
      ],
      { cwd: root },
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  // A sanity check that the archive is readable before a VM depends on it.
  await readFile(options.out);
}
