/** Why a received webhook was refused; a receiver may log `reason`, never the secret. */
export type SignatureProblem = 'missing-header' | 'malformed' | 'stale' | 'mismatch';

/** A webhook whose signature does not prove it came from kbisect, now, with this body. */
export class WebhookSignatureInvalid extends Error {
  override readonly name = 'WebhookSignatureInvalid';
  constructor(
    readonly reason: SignatureProblem,
    detail: string,
  ) {
    super(`webhook signature invalid (${reason}): ${detail}`);
  }
}
