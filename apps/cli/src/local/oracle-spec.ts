import { UsageError } from '../usage-error.js';

/** What `--oracle` asked for, before anything is started. */
export type OracleSpec =
  | { kind: 'command'; command: string }
  | { kind: 'metric'; command: string }
  | { kind: 'splice-loopback'; args: string };

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
