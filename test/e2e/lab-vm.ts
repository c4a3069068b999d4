import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LabConfig, loadLabConfig } from '@kbisect/lab/config';
import { provisionLabVm, startLabVm, stopLabVm, VM_FILES } from '@kbisect/lab/vm';

export interface RunningLabVm {
  dir: string;
  config: LabConfig;
  pid: number;
  /** Seconds from QEMU start to SSH up on the default kernel (0 when it was running). */
  startSeconds: number;
  stop(): Promise<void>;
}

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/**
 * The lab VM of the e2e runs and lab tests, provisioned once in `dir` with `defaultKernel`
 * (reprovisioned when that kernel changes), started, and stopped by its pid afterwards.
 */
export async function ensureLabVm(
  dir: string,
  defaultKernel: string,
  log: (line: string) => void = () => {},
): Promise<RunningLabVm> {
  const current = join(dir, VM_FILES.kernel);
  const configPath = join(dir, VM_FILES.labConfig);
  if (!existsSync(configPath) || !existsSync(current) || sha(current) !== sha(defaultKernel)) {
    await stopLabVm({ dir }).catch(() => {});
    await provisionLabVm({ dir, kernel: defaultKernel, name: 'e2e-vm', log });
  }
  const started = performance.now();
  const pid = await startLabVm({ dir });
  return {
    dir,
    config: await loadLabConfig(configPath),
    pid,
    startSeconds: (performance.now() - started) / 1000,
    stop: () => stopLabVm({ dir }),
  };
}
