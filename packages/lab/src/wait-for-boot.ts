import { setTimeout as sleep } from 'node:timers/promises';
import { LabSession } from './lab-session.js';

const PROBE_READY_TIMEOUT_MS = 5000;

export interface BootSeen {
  bootId: string;
  release: string;
  /** When the first attempt to reach the lab failed (the old kernel was gone). */
  downAt?: number;
  upAt: number;
}

/**
 * Polls the lab until it answers SSH with a boot id other than `previousBootId`, backing
 * off from 250 ms to 2 s. Each attempt has a short handshake timeout: a lab mid-reboot
 * behind QEMU's port forward accepts TCP and then says nothing. Resolves undefined at the
 * deadline.
 */
export async function waitForNewBoot(
  lab: LabSession,
  previousBootId: string | undefined,
  deadline: number,
  signal?: AbortSignal,
): Promise<BootSeen | undefined> {
  const session = new LabSession(lab.config, { readyTimeoutMs: PROBE_READY_TIMEOUT_MS });
  let delay = 250;
  let downAt: number | undefined;
  while (Date.now() < deadline) {
    signal?.throwIfAborted();
    try {
      const bootId = await session.bootId();
      if (bootId !== previousBootId) {
        const release = await session.release();
        session.disconnect();
        return { bootId, release, upAt: Date.now(), ...(downAt ? { downAt } : {}) };
      }
      // Still the old kernel, about to go: a session kept open would hang when it does.
      session.disconnect();
    } catch {
      downAt ??= Date.now();
      session.disconnect();
    }
    await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
    delay = Math.min(2000, delay * 1.5);
  }
  return undefined;
}
