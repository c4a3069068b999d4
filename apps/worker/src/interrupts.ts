import type { ControlChannel, ControlMessage } from '@kbisect/queue';
import {
  type InterruptCause,
  isInterruptCause,
  StepInterrupted,
} from './errors/step-interrupted.js';

/** Coordinators are handed back at once on shutdown; build and test steps get a grace period. */
export type StepRole = 'coordinator' | 'step';

interface Listener {
  controller: AbortController;
  role: StepRole;
  /** The interrupts this step stops for; a build ignores journal changes, say. */
  accepts: ReadonlySet<InterruptCause>;
}

export interface OpenOptions {
  role?: StepRole;
  /** The interrupts this step stops for (a shutdown always stops it). */
  causes?: readonly InterruptCause[];
}

/** The part of a BullMQ worker that stops one of its runs (it aborts the processor's signal). */
export interface JobRuns {
  readonly name: string;
  cancelJob(jobId: string, reason?: string): boolean;
}

/**
 * The abort controllers of the steps this process runs, by bisect: a cancel notice from the
 * API stops that bisect's builds and tests at once (their process groups are killed), a
 * journal change restarts its coordinator's decision, and a shutdown stops everything. A
 * notice naming one job (`drop-job`) stops this process's run of it, through its worker.
 */
export class Interrupts {
  readonly #byBisect = new Map<string, Set<Listener>>();
  readonly #workers = new Map<string, JobRuns>();
  #unsubscribe: (() => Promise<void>) | undefined;
  readonly #shuttingDown = new Set<StepRole>();

  async listen(control: ControlChannel): Promise<void> {
    this.#unsubscribe = await control.subscribe((message) => this.#onMessage(message));
  }

  /**
   * A signal for one step of `bisectId`, aborted by interrupts for that bisect and by any of
   * `linked` (e.g. BullMQ's own signal for the job). Call `done` when the step ends.
   */
  open(
    bisectId: string,
    linked: (AbortSignal | undefined)[] = [],
    { role = 'step', causes = ['cancel', 'shutdown'] }: OpenOptions = {},
  ): { signal: AbortSignal; interrupt(cause: InterruptCause): void; done(): void } {
    const controller = new AbortController();
    const entry: Listener = { controller, role, accepts: new Set(causes) };
    const set = this.#byBisect.get(bisectId) ?? new Set();
    set.add(entry);
    this.#byBisect.set(bisectId, set);
    const onLinked = (event: Event) => {
      const reason = (event.target as AbortSignal).reason;
      // BullMQ's signal is aborted by `cancelJob` (`stopRun`), which names the cause; any
      // other abort means the job is no longer ours to run.
      controller.abort(
        reason instanceof StepInterrupted
          ? reason
          : new StepInterrupted(isInterruptCause(reason) ? reason : 'lost-lock'),
      );
    };
    for (const signal of linked) {
      if (!signal) continue;
      if (signal.aborted) onLinked({ target: signal } as unknown as Event);
      else signal.addEventListener('abort', onLinked, { once: true });
    }
    if (this.#shuttingDown.has(role)) controller.abort(new StepInterrupted('shutdown'));
    return {
      signal: controller.signal,
      interrupt: (cause) => controller.abort(new StepInterrupted(cause)),
      done: () => {
        for (const signal of linked) signal?.removeEventListener('abort', onLinked);
        set.delete(entry);
        if (set.size === 0) this.#byBisect.delete(bisectId);
      },
    };
  }

  /** SIGTERM: the running steps of `role` stop and hand their jobs back. */
  shutdown(role: StepRole): void {
    this.#shuttingDown.add(role);
    for (const set of this.#byBisect.values()) {
      for (const listener of set) {
        if (listener.role === role) listener.controller.abort(new StepInterrupted('shutdown'));
      }
    }
  }

  /** Stops the steps of one bisect that accept `cause` (e.g. a coordinator's lost lock). */
  interrupt(bisectId: string, cause: InterruptCause): void {
    for (const { controller, accepts } of this.#byBisect.get(bisectId) ?? []) {
      if (accepts.has(cause)) controller.abort(new StepInterrupted(cause));
    }
  }

  /** The worker of `runs.name`'s queue: a `drop-job` notice for that queue stops its run. */
  serve(runs: JobRuns): void {
    this.#workers.set(runs.name, runs);
  }

  /**
   * Stops this process's run of a job of a served queue (its step sees `cause`): a run that
   * lost its lock, a job dropped by its owner. False when no run of it is here.
   */
  stopRun(queue: string, jobId: string, cause: 'lost-lock' | 'dropped'): boolean {
    return this.#workers.get(queue)?.cancelJob(jobId, cause) ?? false;
  }

  async close(): Promise<void> {
    await this.#unsubscribe?.();
  }

  #onMessage(message: ControlMessage): void {
    if (message.action === 'drop-job') {
      this.stopRun(message.queue, message.jobId, 'dropped');
      return;
    }
    this.interrupt(message.bisectId, message.action === 'cancel' ? 'cancel' : 'journal-changed');
  }
}
