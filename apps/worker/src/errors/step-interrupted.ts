/**
 * Why a running step was stopped; carried as the AbortSignal's reason so each layer can tell
 * a user's cancel (end the bisect) from a shutdown (hand the job back to the queue), a lost
 * lock (another worker owns the bisect now) and a changed journal (decide again).
 */
export type InterruptCause = 'cancel' | 'shutdown' | 'lost-lock' | 'journal-changed';

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
