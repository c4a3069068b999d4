/**
 * This run's lock of a job is gone (its worker did not run for longer than the lock): the
 * queue may have given the job to another worker, whose run is the one that counts, so this
 * one stops without writing (a journal entry, a build slot's hold).
 */
export class LostLock extends Error {
  override readonly name = 'LostLock';
  constructor(readonly what: string) {
    super(`lost the lock of ${what} to another worker`);
  }
}
