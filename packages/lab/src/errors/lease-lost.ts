/**
 * The lease expired or was taken while held (the holder stalled longer than the expiry):
 * another worker may be using the lab, so the running test must not trust its results.
 */
export class LeaseLost extends Error {
  override readonly name = 'LeaseLost';
  constructor(readonly lab: string) {
    super(`lab ${lab}: the lease was lost while held`);
  }
}
