import type { Direction } from '@kbisect/core';
import { DEFAULT_SPLICE_MEASURE, type OracleSpec, spliceMeasureDirection } from '@kbisect/oracle';
import type { BisectSpec, DecisionSpec } from './bisect-spec.js';
import type { SpecProblem } from './spec-rules.js';

/**
 * The direction an oracle's numbers have by their nature, or undefined where only the user
 * knows (a metric command may print a latency or a throughput). splice-loopback knows: its
 * rate is a throughput, its stalled time a cost.
 */
export function oracleDirection(oracle: OracleSpec): Direction | undefined {
  if (oracle.kind !== 'splice-loopback') return undefined;
  return spliceMeasureDirection(oracle.measure ?? DEFAULT_SPLICE_MEASURE);
}

/**
 * A `decision.direction` that contradicts the oracle's own: such a bisect could only end in
 * "bad is better than good" after both endpoints were built and measured, so it is refused
 * up front. The service answers 422 with these; `kbisect run` says the same about its flags.
 */
export function directionProblems(spec: Pick<BisectSpec, 'oracle' | 'decision'>): SpecProblem[] {
  const implied = oracleDirection(spec.oracle);
  const given = spec.decision?.direction;
  if (implied === undefined || given === undefined || given === implied) return [];
  const measure =
    spec.oracle.kind === 'splice-loopback' ? (spec.oracle.measure ?? DEFAULT_SPLICE_MEASURE) : '';
  const message =
    measure === 'stalls'
      ? `decision.direction "${given}" contradicts oracle.measure "stalls": stalled time is ` +
        `${implied}, which the measure sets by itself; leave decision.direction out`
      : `decision.direction "${given}" contradicts the splice-loopback oracle's measure ` +
        `"${measure}": transactions/s and bytes/s are ${implied}; to bisect on stalled time, ` +
        'set oracle.measure "stalls"';
  return [{ path: '/decision/direction', message }];
}

/** The direction a bisect decides in: the oracle's own, else the spec's, else higher-is-better. */
export function directionOf(oracle: OracleSpec, decision: DecisionSpec = {}): Direction {
  const problem = directionProblems({ oracle, decision })[0];
  // The API and the CLI refuse such specs first; a stored one must not run the wrong way.
  if (problem) throw new RangeError(problem.message);
  return oracleDirection(oracle) ?? decision.direction ?? 'higher-is-better';
}
