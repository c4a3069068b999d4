interface Run {
  ownsLock(): Promise<boolean>;
  stop(): void;
}

/**
 * The coordinator runs of this process, by bisect. When BullMQ cannot renew a lock it names
 * the job (= the bisect), not the run: after a stall, the same process may hold the stale run
 * and the new one of the same bisect. Each run is asked whether its own lock token still
 * holds, and only the runs that lost it stop.
 */
export class CoordinatorRuns {
  readonly #runs = new Map<string, Set<Run>>();

  add(bisectId: string, run: Run): () => void {
    const set = this.#runs.get(bisectId) ?? new Set();
    set.add(run);
    this.#runs.set(bisectId, set);
    return () => {
      set.delete(run);
      if (set.size === 0 && this.#runs.get(bisectId) === set) this.#runs.delete(bisectId);
    };
  }

  async checkLocks(bisectIds: readonly string[]): Promise<void> {
    for (const id of bisectIds) {
      for (const run of [...(this.#runs.get(id) ?? [])]) {
        const owns = await run.ownsLock().catch(() => false);
        if (!owns) run.stop();
      }
    }
  }
}
