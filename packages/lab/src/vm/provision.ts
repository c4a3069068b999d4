import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { buildSpliceBench } from '@kbisect/oracle';
import { buildInitramfs } from './initramfs.js';
import { ensureClientKey, ensureDropbearHostKey } from './keys.js';
import {
  type Accel,
  consoleSize,
  runScript,
  VM_FILES,
  type VmMachine,
  vmPid,
  vmScripts,
  waitForSshdMarker,
} from './qemu.js';

export interface ProvisionOptions {
  /** The VM's directory: keys, initramfs, scripts, console log, lab config. */
  dir: string;
  /** The default kernel the VM boots on power-up (built with infra/lab/kernel/lab-vm.config). */
  kernel: string;
  name?: string;
  sshPort?: number;
  memoryMb?: number;
  cpus?: number;
  /** Skip the KVM probe (e.g. when it is known not to work). */
  accel?: Accel;
  log?: (line: string) => void;
}

/** The lab config the provisioner writes; packages/lab reads the same shape. */
export interface VmLabConfig {
  name: string;
  host: string;
  port: number;
  user: string;
  privateKeyPath: string;
  hostKeyFingerprint: string;
  pool: string;
  arch: string;
  cmdline: string;
  bootTimeoutSeconds: number;
  powerCycleCommand: string[];
  consoleLogCommand: string[];
  initrd: string;
  sharesBuildHost: boolean;
}

export interface LabVm {
  dir: string;
  configPath: string;
  config: VmLabConfig;
  machine: VmMachine;
}

const DEFAULT_CMDLINE = 'console=ttyS0 random.trust_cpu=on panic=-1 loglevel=6';

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Makes a QEMU lab VM that behaves like a physical lab machine: SSH with a pinned host key,
 * kexec, a power-cycle command and a console log. Idempotent: keys are kept, the initramfs
 * and scripts are rewritten. Does not leave the VM running (call `startLabVm`).
 */
export async function provisionLabVm(options: ProvisionOptions): Promise<LabVm> {
  const log = options.log ?? (() => {});
  const dir = resolve(options.dir);
  await mkdir(dir, { recursive: true });
  const name = options.name ?? 'qemu-lab';

  const authorizedKey = await ensureClientKey(join(dir, 'id_ed25519'));
  const hostKey = await ensureDropbearHostKey(join(dir, 'dropbear_ed25519_host_key'));
  const spliceBench = await buildSpliceBench({ static: true, outDir: join(dir, 'splice-bench') });
  log(`building the initramfs (busybox, dropbear, kexec, splice-bench ${spliceBench.sourceHash})`);
  await buildInitramfs({
    authorizedKey,
    hostKeyPath: join(dir, 'dropbear_ed25519_host_key'),
    spliceBench: spliceBench.binaryPath,
    out: join(dir, VM_FILES.initramfs),
  });
  await copyFile(options.kernel, join(dir, VM_FILES.kernel));

  const previous = existsSync(join(dir, VM_FILES.machine))
    ? (JSON.parse(await readFile(join(dir, VM_FILES.machine), 'utf8')) as VmMachine)
    : undefined;
  const machine: VmMachine = {
    name,
    accel: options.accel ?? previous?.accel ?? 'tcg',
    memoryMb: options.memoryMb ?? 512,
    cpus: options.cpus ?? 2,
    sshPort: options.sshPort ?? previous?.sshPort ?? (await freePort()),
    cmdline: DEFAULT_CMDLINE,
  };
  await writeScripts(dir, machine);
  if (!options.accel && !previous) {
    machine.accel = await probeAccel(dir, machine, log);
    await writeScripts(dir, machine);
  }
  log(`accelerator: ${machine.accel}`);

  const config: VmLabConfig = {
    name,
    host: '127.0.0.1',
    port: machine.sshPort,
    user: 'root',
    privateKeyPath: join(dir, 'id_ed25519'),
    hostKeyFingerprint: hostKey.fingerprint,
    pool: 'qemu',
    arch: 'x86_64',
    cmdline: machine.cmdline,
    // Under TCG a kexec comes back in ~5 s; a kernel that is not up in 90 s is not coming.
    bootTimeoutSeconds: machine.accel === 'kvm' ? 60 : 90,
    powerCycleCommand: ['sh', join(dir, VM_FILES.powerCycle)],
    consoleLogCommand: ['tail', '-c', '32768', join(dir, VM_FILES.console)],
    initrd: join(dir, VM_FILES.initramfs),
    // The VM runs on the worker host's cores: no builds ahead while it measures.
    sharesBuildHost: true,
  };
  const configPath = join(dir, VM_FILES.labConfig);
  await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`);
  return { dir, configPath, config, machine };
}

async function writeScripts(dir: string, machine: VmMachine): Promise<void> {
  await writeFile(join(dir, VM_FILES.machine), `${JSON.stringify(machine, null, 2)}\n`);
  for (const [file, text] of Object.entries(vmScripts(machine))) {
    await writeFile(join(dir, file), text);
    await chmod(join(dir, file), 0o755);
  }
}

/**
 * KVM is used only if it really boots this kernel: here /dev/kvm exists but rejects
 * ordinary guests (LAB-NOTES), so its presence proves nothing.
 */
async function probeAccel(
  dir: string,
  machine: VmMachine,
  log: (line: string) => void,
): Promise<Accel> {
  if (!existsSync('/dev/kvm')) {
    log('no /dev/kvm: software emulation (TCG)');
    return 'tcg';
  }
  await writeScripts(dir, { ...machine, accel: 'kvm' });
  const offset = consoleSize(dir);
  let booted = false;
  try {
    await runScript(dir, VM_FILES.start);
    const pid = await vmPid(dir);
    booted =
      pid !== undefined &&
      (await waitForSshdMarker(dir, offset, 30_000, () => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      }));
  } catch (error) {
    log(`KVM probe: QEMU did not start: ${(error as Error).message.split('\n')[0]}`);
  } finally {
    await runScript(dir, VM_FILES.stop).catch(() => {});
    await rm(join(dir, VM_FILES.pid), { force: true });
  }
  log(
    booted
      ? 'KVM boots the lab kernel: using it'
      : 'KVM does not boot the lab kernel: software emulation (TCG)',
  );
  return booted ? 'kvm' : 'tcg';
}

/** Starts the VM (if not running) and waits until /init reports SSH up on the console. */
export async function startLabVm(vm: Pick<LabVm, 'dir'>, timeoutMs = 120_000): Promise<number> {
  const running = await vmPid(vm.dir);
  if (running !== undefined) return running;
  const offset = consoleSize(vm.dir);
  await runScript(vm.dir, VM_FILES.start);
  const pid = await vmPid(vm.dir);
  if (pid === undefined)
    throw new Error(`the lab VM in ${vm.dir} did not start; see ${VM_FILES.qemuLog}`);
  const up = await waitForSshdMarker(vm.dir, offset, timeoutMs, () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
  if (!up)
    throw new Error(`the lab VM in ${vm.dir} did not report SSH up; see ${VM_FILES.console}`);
  return pid;
}

/** Stops the VM by the pid in its pid file. */
export async function stopLabVm(vm: Pick<LabVm, 'dir'>): Promise<void> {
  await runScript(vm.dir, VM_FILES.stop);
}
