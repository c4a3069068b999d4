/** `kexec -l` refused the kernel (not a bootable image, bad initrd): nothing was booted. */
export class KexecLoadFailed extends Error {
  override readonly name = 'KexecLoadFailed';
  constructor(
    readonly lab: string,
    readonly output: string,
  ) {
    super(`lab ${lab}: kexec -l failed: ${output.trim().split('\n').slice(-3).join(' / ')}`);
  }
}
