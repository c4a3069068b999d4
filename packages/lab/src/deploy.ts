import { consoleTail } from './console-log.js';
import { BootTimeout } from './errors/boot-timeout.js';
import { KexecLoadFailed } from './errors/kexec-load-failed.js';
import { WrongKernel } from './errors/wrong-kernel.js';
import { installModules } from './install-modules.js';
import type { LabSession } from './lab-session.js';
import { shellQuote } from './shell-quote.js';
import { waitForNewBoot } from './wait-for-boot.js';

export interface KernelToDeploy {
  /** The bootable image on the worker host (bzImage). */
  image: string;
  /** The release the image reports (`make kernelrelease`): `uname -r` must say exactly this. */
  release: string;
  /** Its modules on the worker host: a tar.gz relative to lib/modules/<release>. */
  modulesArchive?: string;
  /** Overrides the lab config's initrd. */
  initrd?: string;
  /** Overrides the lab's command line (tests use it to make a kernel that cannot boot). */
  cmdline?: string;
}

export interface Deployment {
  bootId: string;
  previousBootId: string;
  release: string;
  timings: {
    uploadSeconds: number;
    /** Uploading and unpacking the modules (0 without modules). */
    modulesSeconds: number;
    kexecLoadSeconds: number;
    /** From `kexec -e` until SSH answered in the new kernel. */
    rebootSeconds: number;
    totalSeconds: number;
  };
}

const REMOTE_DIR = '/tmp/kbisect';
const seconds = (from: number, to = performance.now()) => (to - from) / 1000;

/**
 * Boots the lab into a kernel with kexec: upload, its modules into place (installModules),
 * `kexec -l`, note the boot id, `kexec -e` fully detached (a plain background job dies with
 * the SSH session), wait for SSH to come back, then prove the new kernel runs: another boot
 * id and `uname -r` equal to the built release. Throws BootTimeout or WrongKernel (both boot
 * failures: skip the commit and recover the lab), KexecLoadFailed or ModulesInstallFailed
 * (nothing booted, the running kernel is unchanged).
 */
export async function deployKernel(
  session: LabSession,
  kernel: KernelToDeploy,
  signal?: AbortSignal,
): Promise<Deployment> {
  const { config } = session;
  const started = performance.now();
  const previousBootId = await session.bootIdNotThisMachine();
  const cmdline = kernel.cmdline ?? (await session.kernelCmdline());
  const initrd = kernel.initrd ?? config.initrd;

  await session.upload(kernel.image, `${REMOTE_DIR}/kernel`);
  if (initrd) await session.upload(initrd, `${REMOTE_DIR}/initrd`);
  const uploaded = performance.now();
  // Before kexec -l: the new kernel's early userspace may load modules at once.
  if (kernel.modulesArchive) await installModules(session, kernel.modulesArchive, kernel.release);
  const modulesAt = performance.now();

  const load = [
    'kexec',
    '-l',
    `${REMOTE_DIR}/kernel`,
    ...(initrd ? [`--initrd=${REMOTE_DIR}/initrd`] : []),
    `--command-line=${cmdline}`,
  ]
    .map(shellQuote)
    .join(' ');
  const loaded = await session.exec(load, { privileged: true });
  if (loaded.code !== 0) throw new KexecLoadFailed(config.name, `${loaded.stdout}${loaded.stderr}`);
  const loadedAt = performance.now();

  signal?.throwIfAborted();
  // The guard again, right before the point of no return, on the session that will run it.
  await session.bootIdNotThisMachine();
  await session.exec(
    `setsid sh -c 'sleep 0.5; ${config.sudo ? `${config.sudo} ` : ''}kexec -e' </dev/null >/dev/null 2>&1 &`,
  );
  const kexecAt = performance.now();
  session.disconnect();

  const deadline = Date.now() + config.bootTimeoutSeconds * 1000;
  const seen = await waitForNewBoot(session, previousBootId, deadline, signal);
  if (!seen) {
    throw new BootTimeout(
      config.name,
      kernel.release,
      config.bootTimeoutSeconds,
      await consoleTail(config),
    );
  }
  if (seen.release !== kernel.release) {
    throw new WrongKernel(
      config.name,
      kernel.release,
      seen.release,
      true,
      await consoleTail(config),
    );
  }
  const upAt = performance.now();
  return {
    bootId: seen.bootId,
    previousBootId,
    release: seen.release,
    timings: {
      uploadSeconds: seconds(started, uploaded),
      modulesSeconds: seconds(uploaded, modulesAt),
      kexecLoadSeconds: seconds(modulesAt, loadedAt),
      rebootSeconds: seconds(kexecAt, upAt),
      totalSeconds: seconds(started, upAt),
    },
  };
}

/**
 * Proves the lab runs `release` now, without deploying: for a lab that was already booted
 * into the commit (a resumed step). WrongKernel with `rebooted: false` otherwise.
 */
export async function assertRunning(session: LabSession, release: string): Promise<void> {
  const actual = await session.release();
  if (actual !== release) throw new WrongKernel(session.config.name, release, actual, false);
}
