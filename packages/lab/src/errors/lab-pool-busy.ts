/** Every lab of the pool that is up stayed leased by others for as long as the caller waited. */
export class LabPoolBusy extends Error {
  override readonly name = 'LabPoolBusy';
  constructor(
    readonly pool: string,
    /** The holder of each lab that is up, by lab name. */
    readonly holders: ReadonlyMap<string, string>,
  ) {
    super(
      `every lab of pool ${pool} is leased: ${[...holders]
        .map(([lab, holder]) => `${lab} by ${holder}`)
        .join('; ')}`,
    );
  }
}
