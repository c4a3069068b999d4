import { fileURLToPath } from 'node:url';
import type { KernelBuildSpec } from '@kbisect/build';

/** The kernel config fragment that boots in the lab VM (infra/lab/kernel/lab-vm.config). */
export const LAB_VM_FRAGMENT = fileURLToPath(
  new URL('../../infra/lab/kernel/lab-vm.config', import.meta.url),
);

/** tinyconfig + the lab fragment, bzImage only: ~8 min from scratch on 2 cores, ~15 s a step. */
export const LAB_KERNEL_SPEC: KernelBuildSpec = {
  config: { kind: 'defconfig', target: 'tinyconfig', fragments: [LAB_VM_FRAGMENT] },
  arch: 'x86_64',
  targets: ['bzImage'],
  timeoutMs: 40 * 60_000,
};
