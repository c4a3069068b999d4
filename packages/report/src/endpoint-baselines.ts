import type { Direction, EndpointSummary } from '@kbisect/core';

/** The `baselines` of a not-distinguishable result, as `NotDistinguishable` carries them. */
export interface EndpointBaselines {
  good: EndpointSummary;
  bad: EndpointSummary;
  direction: Direction;
  pValue: number;
  effect: number;
}

const isSummary = (x: unknown): x is EndpointSummary =>
  typeof x === 'object' &&
  x !== null &&
  typeof (x as EndpointSummary).median === 'number' &&
  typeof (x as EndpointSummary).samples === 'number';

/**
 * `baselines` is `unknown` in the result object (it is JSON from a store or a CLI run), so a
 * report reads it only when it has the shape; otherwise it prints the error text alone.
 */
export function endpointBaselines(value: unknown): EndpointBaselines | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const b = value as Partial<Record<keyof EndpointBaselines, unknown>>;
  if (!isSummary(b.good) || !isSummary(b.bad)) return undefined;
  if (typeof b.pValue !== 'number' || typeof b.effect !== 'number') return undefined;
  const direction: Direction =
    b.direction === 'lower-is-better' ? 'lower-is-better' : 'higher-is-better';
  return { good: b.good, bad: b.bad, direction, pValue: b.pValue, effect: b.effect };
}
