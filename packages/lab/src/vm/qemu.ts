import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { SSHD_UP_MARKER } from './initramfs.js';

const execFileAsync = promisify(execFile);

export type Accel = 'kvm' | 'tcg';

export interface VmMachine {
  name: string;
  accel: Accel;
  memoryMb: number;
  cpus: number;
  /** The loopback port forwarded to the guest's port 22. */
  sshPort: number;
  /** The default kernel's command line; the lab config pins it for every kexec too. */
  cmdline: string;
}

/** Files of a lab VM, all in its directory. */
export const VM_FILES = {
  kernel: 'default-bzImage',
  initramfs: 'initramfs.cpio.gz',
  console: 'console.log',
  pid: 'qemu.pid',
  qemuLog: 'qemu.log',
  start: 'start.sh',
  stop: 'stop.sh',
  powerCycle: 'power-cycle.sh',
  machine: 'machine.json',
  labConfig: 'lab.json',
} as const;

function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The QEMU command line of the lab: no default devices, the serial console appended to a
 * file (the console log survives power cycles), user-mode networking restricted to the
 * forwarded SSH port, daemonized with a pid file so that it is stopped by pid.
 */
export function qemuArgv(machine: VmMachine): string[] {
  return [
    'qemu-system-x86_64',
    '-name',
    `kbisect-lab-${machine.name}`,
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    ...(machine.accel === 'kvm'
      ? ['-accel', 'kvm', '-cpu', 'host']
      : ['-accel', 'tcg', '-cpu', 'max']),
    '-smp',
    String(machine.cpus),
    '-m',
    String(machine.memoryMb),
    '-kernel',
    VM_FILES.kernel,
    '-initrd',
    VM_FILES.initramfs,
    '-append',
    machine.cmdline,
    '-chardev',
    `file,id=console,path=${VM_FILES.console},append=on`,
    '-serial',
    'chardev:console',
    '-netdev',
    `user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${machine.sshPort}-:22`,
    '-device',
    'virtio-net-pci,netdev=n0',
    '-daemonize',
    '-pidfile',
    VM_FILES.pid,
  ];
}

/** start.sh, stop.sh and power-cycle.sh: the lab config's power-cycle command runs the last. */
export function vmScripts(machine: VmMachine): Record<string, string> {
  const header = '#!/bin/sh\nset -eu\ncd "$(dirname "$0")"\n';
  return {
    [VM_FILES.start]: `${header}# Starts the lab VM on its default kernel, daemonized; its pid goes to ${VM_FILES.pid}.
if [ -s ${VM_FILES.pid} ] && kill -0 "$(cat ${VM_FILES.pid})" 2>/dev/null; then
  echo "lab VM already running, pid $(cat ${VM_FILES.pid})" >&2
  exit 0
fi
exec ${qemuArgv(machine).map(shellQuote).join(' ')} 2>>${VM_FILES.qemuLog}
`,
    [VM_FILES.stop]: `${header}# Stops the lab VM by the pid QEMU wrote, never by name.
[ -s ${VM_FILES.pid} ] || exit 0
pid=$(cat ${VM_FILES.pid})
kill "$pid" 2>/dev/null || { rm -f ${VM_FILES.pid}; exit 0; }
for _ in 1 2 3 4 5 6 7 8 9 10; do
  kill -0 "$pid" 2>/dev/null || { rm -f ${VM_FILES.pid}; exit 0; }
  sleep 0.3
done
kill -9 "$pid" 2>/dev/null || true
rm -f ${VM_FILES.pid}
`,
    [VM_FILES.powerCycle]: `${header}# Power cycle: the VM restarts on its default kernel, whatever it ran before.
./${VM_FILES.stop}
exec ./${VM_FILES.start}
`,
  };
}

export function consoleSize(dir: string): number {
  const path = join(dir, VM_FILES.console);
  return existsSync(path) ? statSync(path).size : 0;
}

/** Waits until the console, past `offset`, shows the marker /init prints when SSH is up. */
export async function waitForSshdMarker(
  dir: string,
  offset: number,
  timeoutMs: number,
  stillRunning: () => boolean,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = existsSync(join(dir, VM_FILES.console))
      ? readFileSync(join(dir, VM_FILES.console)).subarray(offset).toString('utf8')
      : '';
    if (text.includes(SSHD_UP_MARKER)) return true;
    if (!stillRunning()) return false;
    await sleep(200);
  }
  return false;
}

export async function vmPid(dir: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(join(dir, VM_FILES.pid), 'utf8')).trim());
    if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

export async function runScript(dir: string, script: string): Promise<void> {
  await execFileAsync('sh', [join(dir, script)], { timeout: 60_000 });
}
