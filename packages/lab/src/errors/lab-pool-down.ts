/**
 * Every lab of the pool is marked down: nothing can run until a person brings one back (and
 * marks it up). Each lab's reason is kept, since each may need a different fix.
 */
export class LabPoolDown extends Error {
  override readonly name = 'LabPoolDown';
  constructor(
    readonly pool: string,
    /** Why each lab is down, by lab name. */
    readonly reasons: ReadonlyMap<string, string>,
  ) {
    super(
      `every lab of pool ${pool} is down: ${[...reasons]
        .map(([lab, reason]) => `${lab}: ${reason}`)
        .join('; ')}`,
    );
  }
}
