/** No worker of this version can run tests on the lab a job names (pools come with kexec labs). */
export class LabNotServed extends Error {
  override readonly name = 'LabNotServed';
  constructor(readonly lab: unknown) {
    super(`lab ${JSON.stringify(lab)} is not served by this worker: only "local" is`);
  }
}
