import { SPLICE_MEASURES, type SpliceMeasure } from '@kbisect/oracle';
import { UsageError } from '../usage-error.js';

/** What `--oracle` (and, for splice-loopback, `--splice-measure`) asked for. */
export type OracleSpec =
  | { kind: 'command'; command: string }
  | { kind: 'metric'; command: string }
  | { kind: 'splice-loopback'; args: string; measure?: SpliceMeasure };

const FORMS = "command:'CMD', metric:'CMD' or splice-loopback[:ARGS]";

export function parseOracleSpec(spec: string): OracleSpec {
  const colon = spec.indexOf(':');
  const kind = colon === -1 ? spec : spec.slice(0, colon);
  const rest = colon === -1 ? '' : spec.slice(colon + 1).trim();
  switch (kind) {
    case 'command':
    case 'metric':
      if (!rest)
        throw new UsageError(`--oracle ${kind}: needs a command, e.g. ${kind}:'./test.sh'`);
      return { kind, command: rest };
    case 'splice-loopback':
      return { kind, args: rest };
    default:
      throw new UsageError(`--oracle '${spec}': unknown oracle kind '${kind}'; use ${FORMS}`);
  }
}

/** The oracle with `--splice-measure` applied: it means something to splice-loopback only. */
export function withSpliceMeasure(oracle: OracleSpec, measure: string | undefined): OracleSpec {
  if (measure === undefined) return oracle;
  if (!(SPLICE_MEASURES as readonly string[]).includes(measure)) {
    throw new UsageError(`--splice-measure '${measure}': expected ${SPLICE_MEASURES.join(' or ')}`);
  }
  if (oracle.kind !== 'splice-loopback') {
    throw new UsageError(
      `--splice-measure applies to --oracle splice-loopback only, not to a ${oracle.kind} oracle`,
    );
  }
  return { ...oracle, measure: measure as SpliceMeasure };
}
