/**
 * Why a running step was stopped; carried as the AbortSignal's reason so each layer can tell
 * a user's cancel (end the bisect) from a shutdown (hand the job back to the queue), a lost
 * lock (another worker runs the job now), a changed journal (decide again) and a dropped job
 * (its owner no longer needs it: a build ahead of the branch not taken).
 */
export type InterruptCause = 'cancel' | 'shutdown' | 'lost-lock' | 'journal-changed' | 'dropped';

const CAUSES: ReadonlySet<string> = new Set<InterruptCause>([
  'cancel',
  'shutdown',
  'lost-lock',
  'journal-changed',
  'dropped',
]);

export function isInterruptCause(value: unknown): value is InterruptCause {
  return typeof value === 'string' && CAUSES.has(value);
}

export class StepInterrupted extends Error {
  override readonly name = 'StepInterrupted';
  constructor(readonly kind: InterruptCause) {
    super(`step interrupted: ${kind}`);
  }
}

/** The cause of an aborted signal, when it was aborted with a `StepInterrupted`. */
export function interruptCause(signal: AbortSignal): InterruptCause | undefined {
  return signal.aborted && signal.reason instanceof StepInterrupted
    ? signal.reason.kind
    : undefined;
}
