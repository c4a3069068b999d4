import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KernelArtifact } from '@kbisect/build';
import {
  BootTimeout,
  deployKernel,
  KexecLoadFailed,
  LabSession,
  recoverLab,
  WrongKernel,
} from '@kbisect/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningLabVm } from '../lab-vm.js';
import { labVmWithKernels } from './lab-vm-kernels.js';

describe('kexec on the QEMU lab VM', () => {
  let vm: RunningLabVm;
  let session: LabSession;
  let good: KernelArtifact;
  let culprit: KernelArtifact;

  beforeAll(async () => {
    ({ vm, good, culprit } = await labVmWithKernels());
    session = new LabSession(vm.config);
  });

  afterAll(async () => {
    session?.disconnect();
    await vm?.stop();
  });

  it('boots two prebuilt kernels one after the other and proves each one runs', async () => {
    for (const kernel of [culprit, good]) {
      const deployment = await deployKernel(session, {
        image: kernel.image as string,
        release: kernel.release as string,
      });
      expect(deployment.release).toBe(kernel.release);
      expect(deployment.bootId).not.toBe(deployment.previousBootId);
      expect(await session.release()).toBe(kernel.release);
    }
  });

  it('leaves the lab as it was when kexec -l refuses the image', async () => {
    const before = await session.bootId();
    const garbage = join(tmpdir(), 'kbisect-not-a-kernel');
    writeFileSync(garbage, 'not a kernel image\n'.repeat(100));

    await expect(
      deployKernel(session, { image: garbage, release: 'never' }),
    ).rejects.toBeInstanceOf(KexecLoadFailed);
    expect(await session.bootId()).toBe(before);
  });

  it('detects a lab that came back running another kernel than the one deployed', async () => {
    const error = await deployKernel(session, {
      image: good.image as string,
      release: culprit.release as string,
    }).catch((e) => e);

    expect(error).toBeInstanceOf(WrongKernel);
    expect(error.actual).toBe(good.release);
    expect(error.rebooted).toBe(true);
  });

  it('times out on a kernel that never answers, keeps its console, and recovers the lab by a power cycle', async () => {
    const impatient = new LabSession({ ...vm.config, bootTimeoutSeconds: 30 });
    // No /init in the initramfs to run and no reboot on panic: the kernel stops before SSH,
    // as a broken one would.
    const error = await deployKernel(impatient, {
      image: culprit.image as string,
      release: culprit.release as string,
      cmdline: `${vm.config.cmdline ?? ''} rdinit=/kbisect-no-such-init panic=0`,
    }).catch((e) => e);

    expect(error).toBeInstanceOf(BootTimeout);
    expect(error.consoleTail).toMatch(/kbisect-no-such-init|Kernel panic/);

    const recovery = await recoverLab(impatient, { defaultRelease: good.release as string });
    expect(recovery.release).toBe(good.release);
    impatient.disconnect();
  });
});
