/** This worker cannot run tests where a job says: a lab not in its `labs`, a pool none is in. */
export class LabNotServed extends Error {
  override readonly name = 'LabNotServed';
  constructor(readonly lab: unknown) {
    super(
      `lab ${JSON.stringify(lab)} is not served by this worker: "local", and the labs of its configuration and their pools, are`,
    );
  }
}
