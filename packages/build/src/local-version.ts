/**
 * The LOCALVERSION that names a commit in the kernel release, e.g. `6.1.192-kb-e979a68e03c8`:
 * `uname -r` on the lab then proves which commit runs. Fixed length, so that the version
 * string does not move the rest of .rodata and the image signature compares code only.
 */
export function localVersionFor(commit: string): string {
  if (!/^[0-9a-f]{12,64}$/.test(commit)) throw new RangeError(`not a commit sha: ${commit}`);
  return `-kb-${commit.slice(0, 12)}`;
}

/** The commit prefix a kbisect-built release names, or undefined for other kernels. */
export function commitOfRelease(release: string): string | undefined {
  return /-kb-([0-9a-f]{12})$/.exec(release.trim())?.[1];
}
