import { BuildSlotMovedOn } from '../errors/build-slot-moved-on.js';

/** How many times one build is done again because its slot moved on, before the step stops. */
export const MOST_SLOT_REBUILDS = 3;

/** What to do about a build whose slot moved on before its commit was tested. */
export type SlotRebuild =
  | {
      kind: 'rebuild';
      /** This rebuild's number, from 1, and the most there may be. */
      rebuild: number;
      most: number;
      /** The line for the owner's event stream: the commit, why, and how many so far. */
      message: string;
    }
  | { kind: 'give-up'; error: BuildSlotMovedOn };

/**
 * The one rule for a commit's build slot that no longer holds its build (`slotProblem`: the
 * hold was lost and another build took the slot, or the tree changed), whoever saw it: the
 * coordinator re-attaching to a finished build, or the lab test refusing to measure. The
 * commit is built again under the same build job id (so a coordinator restarted meanwhile asks
 * for that job and attaches to it), at most `most` times per build job: a slot that keeps
 * moving on means something takes held slots, and the step stops with `BuildSlotMovedOn`
 * rather than build for ever. Counted per coordinator process: a restarted one counts afresh.
 */
export class SlotRebuilds {
  readonly #done = new Map<string, number>();

  constructor(private readonly most = MOST_SLOT_REBUILDS) {}

  /** Counts one more rebuild of build job `job` of `commit`, or says it is one too many. */
  next(job: string, commit: string, problem: string): SlotRebuild {
    const done = this.#done.get(job) ?? 0;
    if (done >= this.most) {
      return { kind: 'give-up', error: new BuildSlotMovedOn(commit, done, problem) };
    }
    const rebuild = done + 1;
    this.#done.set(job, rebuild);
    return {
      kind: 'rebuild',
      rebuild,
      most: this.most,
      message: `building ${commit.slice(0, 12)} again: ${problem} (rebuild ${rebuild} of at most ${this.most})`,
    };
  }
}
