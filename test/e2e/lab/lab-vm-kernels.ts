import { homedir } from 'node:os';
import { join } from 'node:path';
import { type KernelArtifact, KernelBuilder } from '@kbisect/build';
import { openRepository } from '@kbisect/git';
import { kernelRepo } from '../../fixtures/kernel-repo/kernel-repo.js';
import { LAB_KERNEL_SPEC } from '../lab-kernel-spec.js';
import { ensureLabVm, type RunningLabVm } from '../lab-vm.js';

export const E2E_CACHE_DIR =
  process.env.KBISECT_E2E_CACHE ?? join(homedir(), '.cache', 'kbisect', 'e2e');

export interface LabVmWithKernels {
  vm: RunningLabVm;
  /** The pristine 6.1 kernel: the VM's default. */
  good: KernelArtifact;
  /** The kernel of the 3.7 splice bug's culprit: another release to kexec into. */
  culprit: KernelArtifact;
}

/**
 * What the lab tests start from: the fixture's good and culprit kernels (built, or found in
 * the e2e build cache) and the lab VM running the good one by default.
 */
export async function labVmWithKernels(): Promise<LabVmWithKernels> {
  const signal = new AbortController().signal;
  const fixture = await kernelRepo();
  const repo = await openRepository({
    source: fixture.dir,
    cacheDir: join(E2E_CACHE_DIR, 'git'),
  });
  const builder = await KernelBuilder.create({
    spec: LAB_KERNEL_SPEC,
    cacheDir: join(E2E_CACHE_DIR, 'build'),
  });
  const built = async (commit: string) => {
    const { artifact, evidence } = await builder.build(repo, commit, signal);
    if (!artifact) throw new Error(`cannot build ${commit}: ${evidence.logTail}`);
    return artifact;
  };
  const good = await built(fixture.base);
  const culprit = await built(fixture.variants['3.7'].culprit);
  const vm = await ensureLabVm(join(E2E_CACHE_DIR, 'lab-vm'), good.image as string);
  return { vm, good, culprit };
}
