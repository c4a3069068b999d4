/** This worker cannot run tests on the lab a job names: not in its `labs`, or a pool. */
export class LabNotServed extends Error {
  override readonly name = 'LabNotServed';
  constructor(readonly lab: unknown) {
    super(
      `lab ${JSON.stringify(lab)} is not served by this worker: "local" and the labs of its configuration are`,
    );
  }
}
