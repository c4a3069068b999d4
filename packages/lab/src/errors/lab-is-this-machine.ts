/**
 * The lab's boot id is this machine's: the config points at the worker host itself
 * (e.g. its own sshd). kexec there would reboot the worker, so nothing is deployed.
 */
export class LabIsThisMachine extends Error {
  override readonly name = 'LabIsThisMachine';
  constructor(
    readonly lab: string,
    readonly bootId: string,
  ) {
    super(`lab ${lab} is this machine (boot id ${bootId}); refusing to kexec the worker host`);
  }
}
