import { readFileSync } from 'node:fs';

/** This machine's boot id: a lab reporting the same one is this machine. */
export function localBootId(): string {
  return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
}

export const BOOT_ID_COMMAND = 'cat /proc/sys/kernel/random/boot_id';
