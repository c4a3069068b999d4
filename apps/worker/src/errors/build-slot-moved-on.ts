/**
 * A commit's build slot kept moving on between its build and its test: it was built again
 * `rebuilds` times and each time the slot was taken (or changed) before the test ran.
 * Something takes slots that builds still hold (a hold file removed by hand, a cache cleaner,
 * a second service on the same cache directory): building on would loop, so the step stops.
 */
export class BuildSlotMovedOn extends Error {
  override readonly name = 'BuildSlotMovedOn';
  constructor(
    readonly commit: string,
    readonly rebuilds: number,
    /** What the last look at the slot saw (`slotProblem`). */
    readonly problem: string,
  ) {
    super(
      `commit ${commit.slice(0, 12)} was not tested: its build slot moved on after its build ` +
        `${rebuilds + 1} times (built again ${rebuilds} times; last: ${problem}). ` +
        'Something takes build slots that are still held: look for hold files removed or ' +
        'another service using the same cache directory',
    );
  }
}
