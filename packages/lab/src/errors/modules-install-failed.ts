/** The modules of a kernel could not be unpacked on the lab (nothing was booted). */
export class ModulesInstallFailed extends Error {
  override readonly name = 'ModulesInstallFailed';
  constructor(
    readonly lab: string,
    readonly release: string,
    readonly output: string,
  ) {
    super(
      `lab ${lab}: installing the modules of ${release} failed: ${output.trim().split('\n').slice(-3).join(' / ')}`,
    );
  }
}
