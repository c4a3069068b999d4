/** Another holder has the lab's lease and did not release it in time. */
export class LabBusy extends Error {
  override readonly name = 'LabBusy';
  constructor(
    readonly lab: string,
    readonly holder: string,
  ) {
    super(`lab ${lab} is leased by ${holder}`);
  }
}
