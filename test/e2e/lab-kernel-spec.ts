import { fileURLToPath } from 'node:url';
import type { KernelBuildSpec } from '@kbisect/build';

/** The kernel config fragment that boots in the lab VM (infra/lab/kernel/lab-vm.config). */
export const LAB_VM_FRAGMENT = fileURLToPath(
  new URL('../../infra/lab/kernel/lab-vm.config', import.meta.url),
);

/**
 * tinyconfig + the lab fragment, bzImage only: ~8 min from scratch on 2 quiet cores, ~15 s a
 * step. The limit is for the cold build on a shared machine: on 2 cores at load 15 it had
 * compiled ~1000 of ~1240 objects when 40 min killed it (the time limit is not in the cache key).
 */
export const LAB_KERNEL_SPEC: KernelBuildSpec = {
  config: { kind: 'defconfig', target: 'tinyconfig', fragments: [LAB_VM_FRAGMENT] },
  arch: 'x86_64',
  targets: ['bzImage'],
  timeoutMs: 120 * 60_000,
};
