import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { LabDown } from './errors/lab-down.js';
import type { LabSession } from './lab-session.js';
import { waitForNewBoot } from './wait-for-boot.js';

const execFileAsync = promisify(execFile);

export interface Recovery {
  bootId: string;
  release: string;
  seconds: number;
}

/**
 * Brings a lab back after a boot failure: its power-cycle command on the worker host, then
 * SSH from its default kernel within the boot timeout. When `defaultRelease` is given the
 * lab must run exactly that. Anything else is LabDown: the caller takes the lab out of its
 * pool with the reason.
 */
export async function recoverLab(
  session: LabSession,
  options: { defaultRelease?: string; previousBootId?: string; signal?: AbortSignal } = {},
): Promise<Recovery> {
  const { config } = session;
  const started = performance.now();
  const [file, ...args] = config.powerCycleCommand ?? [];
  if (!file) throw new LabDown(config.name, 'it did not boot and has no power-cycle command');
  session.disconnect();
  try {
    await execFileAsync(file, args, { timeout: 120_000 });
  } catch (error) {
    throw new LabDown(
      config.name,
      `power-cycle command failed: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  const deadline = Date.now() + config.bootTimeoutSeconds * 1000;
  const seen = await waitForNewBoot(session, options.previousBootId, deadline, options.signal);
  if (!seen)
    throw new LabDown(
      config.name,
      `no SSH within ${config.bootTimeoutSeconds} s after a power cycle`,
    );
  if (options.defaultRelease && seen.release !== options.defaultRelease) {
    throw new LabDown(
      config.name,
      `after a power cycle it runs ${seen.release}, not its default ${options.defaultRelease}`,
    );
  }
  return {
    bootId: seen.bootId,
    release: seen.release,
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * Before using a lab whose previous holder crashed or lost its lease mid-test
 * (`LabLease.uncleanPrevious`): it may be half-way through a kexec, or hung. SSH back within
 * the boot timeout means it is usable (the caller still proves which kernel it runs before
 * measuring); no SSH means a power cycle and its default kernel (`recoverLab`, LabDown if
 * that fails too).
 */
export async function checkLabAfterUncleanHolder(
  session: LabSession,
  options: { signal?: AbortSignal } = {},
): Promise<{ recovered: boolean; release: string; seconds: number }> {
  const started = performance.now();
  session.disconnect();
  const deadline = Date.now() + session.config.bootTimeoutSeconds * 1000;
  const seen = await waitForNewBoot(session, undefined, deadline, options.signal);
  if (seen) {
    return {
      recovered: false,
      release: seen.release,
      seconds: (performance.now() - started) / 1000,
    };
  }
  const recovery = await recoverLab(session, options);
  return {
    recovered: true,
    release: recovery.release,
    seconds: (performance.now() - started) / 1000,
  };
}
