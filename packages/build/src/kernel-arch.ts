/** The directory under arch/ that a make ARCH builds in (x86_64 and i386 live in arch/x86). */
export function sourceArch(arch: string): string {
  if (arch === 'x86_64' || arch === 'i386' || arch === 'x86') return 'x86';
  return arch;
}

const IMAGE_TARGETS = new Set(['bzImage', 'Image', 'Image.gz', 'zImage', 'vmlinuz', 'uImage']);

/** The bootable image the targets produce, relative to the build directory. */
export function imagePath(arch: string, targets: readonly string[]): string {
  const image = targets.find((target) => IMAGE_TARGETS.has(target));
  return image ? `arch/${sourceArch(arch)}/boot/${image}` : 'vmlinux';
}
