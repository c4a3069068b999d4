import type { SpecProblem } from '@kbisect/contracts';

/**
 * Why `createBisect` did not start a bisect, for the API to answer with:
 * - `invalid`: fields that do not make sense together (400);
 * - `unservable`: well-formed, but this service cannot run it or cannot find what it names:
 *   an unknown ref or lab, a direction against the oracle's, no webhook secret (422);
 * - `in-flight`: a request with the same Idempotency-Key is still being processed (409).
 * `problems` name each field by its JSON path.
 */
export class BisectRefused extends Error {
  override readonly name = 'BisectRefused';
  constructor(
    readonly reason: 'invalid' | 'unservable' | 'in-flight',
    message: string,
    readonly problems: SpecProblem[] = [],
  ) {
    super(message);
  }

  static of(reason: 'invalid' | 'unservable', problems: SpecProblem[]): BisectRefused {
    const prefix = reason === 'invalid' ? 'body' : '';
    return new BisectRefused(
      reason,
      problems.map((p) => (prefix ? `${prefix}${p.path}: ${p.message}` : p.message)).join('; '),
      problems,
    );
  }
}
