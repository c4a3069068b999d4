/**
 * Another process held the mirror's lock for longer than we were willing to wait. The lock
 * is only broken automatically when its owner is a dead process on this host.
 */
export class MirrorLocked extends Error {
  override readonly name = 'MirrorLocked';

  constructor(
    readonly lockPath: string,
    readonly owner: string,
    readonly waitedMs: number,
  ) {
    super(
      `mirror lock ${lockPath} is held by ${owner || 'an unknown process'} (waited ${waitedMs} ms); ` +
        'if no kbisect process is running, remove the lock file',
    );
  }
}
