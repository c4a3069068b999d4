/** The kernel did not bring SSH back within the boot timeout: a boot failure of the commit. */
export class BootTimeout extends Error {
  override readonly name = 'BootTimeout';
  constructor(
    readonly lab: string,
    readonly release: string,
    readonly timeoutSeconds: number,
    /** The end of the lab's console log, when the lab has a console command. */
    readonly consoleTail?: string,
  ) {
    super(`lab ${lab}: kernel ${release} did not answer SSH within ${timeoutSeconds} s`);
  }
}
