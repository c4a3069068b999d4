/**
 * The lab came back, but not running the kernel just deployed (it fell back to its default
 * kernel, or the kexec never happened): what would be measured is not the commit.
 */
export class WrongKernel extends Error {
  override readonly name = 'WrongKernel';
  constructor(
    readonly lab: string,
    readonly expected: string,
    readonly actual: string,
    readonly rebooted: boolean,
    readonly consoleTail?: string,
  ) {
    super(
      `lab ${lab}: runs ${actual}, not ${expected}${rebooted ? ' after a reboot' : ' (it did not reboot)'}`,
    );
  }
}
