import { type Static, Type } from 'typebox';

/**
 * Who a build or lab-test job works for: a step of a bisect, or one run of a watch. Both
 * queue the same jobs (a watch run builds and measures its tip as a bisect step does); the
 * owner says whose cancel stops them, whose directory holds their worktrees, and it is the
 * log bindings of every line they write (`bisectId`, or `watchId` and `runId`).
 */
export const JobOwner = Type.Union([
  Type.Object({ bisectId: Type.String() }, { additionalProperties: false }),
  Type.Object(
    { watchId: Type.String(), runId: Type.String({ pattern: '^[A-Za-z0-9_.-]+$' }) },
    { additionalProperties: false },
  ),
]);
export type JobOwner = Static<typeof JobOwner>;

/**
 * The owner as one word: the first part of its job ids (`buildJobId`), the key its steps'
 * interrupts are registered under (a bisect's cancel notice names the bisect id), the name of
 * its worktree directory. Watch run ids are safe for all three (`runIdOf`).
 */
export function ownerKey(owner: JobOwner): string {
  return 'bisectId' in owner ? owner.bisectId : `${owner.watchId}.${owner.runId}`;
}

/** For messages: "bisect b1234" or "watch w56 run r7". */
export function describeOwner(owner: JobOwner): string {
  return 'bisectId' in owner
    ? `bisect ${owner.bisectId}`
    : `watch ${owner.watchId} run ${owner.runId}`;
}

/**
 * The owner as text that reads back (`ownerFromText`), unlike `ownerKey`: what a build slot's
 * hold file names, so a worker that finds the hold later can ask whether its owner has ended.
 */
export function ownerText(owner: JobOwner): string {
  return JSON.stringify(
    'bisectId' in owner
      ? { bisectId: owner.bisectId }
      : { watchId: owner.watchId, runId: owner.runId },
  );
}

export function ownerFromText(text: string): JobOwner | undefined {
  try {
    const value = JSON.parse(text) as Record<string, unknown>;
    if (typeof value.bisectId === 'string') return { bisectId: value.bisectId };
    if (typeof value.watchId === 'string' && typeof value.runId === 'string') {
      return { watchId: value.watchId, runId: value.runId };
    }
    return undefined;
  } catch {
    return undefined;
  }
}
