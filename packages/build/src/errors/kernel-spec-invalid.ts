/** The kernel build spec cannot work; said before any commit is checked out. */
export class KernelSpecInvalid extends Error {
  override readonly name = 'KernelSpecInvalid';
  constructor(readonly reason: string) {
    super(`kernel build spec: ${reason}`);
  }
}
