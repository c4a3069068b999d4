import { CommandNetwork } from '@kbisect/sandbox';
import { type Static, Type } from 'typebox';
import { discriminated } from './discriminated.js';
import { OracleSpecInvalid } from './errors/oracle-spec-invalid.js';
import { SpliceLoopbackSpecInvalid } from './errors/splice-loopback-spec-invalid.js';
import { OracleFiles, oracleFileProblems } from './oracle-file.js';
import type { SpliceBenchOptions } from './splice-bench.js';
import { parseSpliceLoopbackArgs, SPLICE_LOOPBACK_DEFAULTS } from './splice-loopback-spec.js';
import { DEFAULT_SPLICE_MEASURE, spliceBenchQuantity } from './splice-measure.js';

/**
 * What an oracle is, as a bisect, a watch and a lab-test job carry it: the one schema of this
 * package's input. The API's body and the job payloads compose it; `oracleFor` turns it into
 * an `Oracle` on a target.
 */

export const DEFAULT_ORACLE_TIMEOUT_SECONDS = 600;

const OracleCommand = Type.String({ minLength: 1, maxLength: 4096 });
// No `default` keywords inside unions: Ajv ignores them there (and refuses them in strict
// mode); the defaults are applied where the spec is used and named in the description.
const OracleTimeout = Type.Optional(
  Type.Number({
    exclusiveMinimum: 0,
    maximum: 7 * 24 * 3600,
    description: `a single oracle run longer than this fails (default ${DEFAULT_ORACLE_TIMEOUT_SECONDS})`,
  }),
);

export const CommandOracleSpec = Type.Object(
  {
    kind: Type.Literal('command'),
    command: OracleCommand,
    files: Type.Optional(OracleFiles),
    timeoutSeconds: OracleTimeout,
    network: Type.Optional(CommandNetwork),
  },
  {
    additionalProperties: false,
    description: 'git bisect run exit codes: 0 good, 125 skip, 1-127 bad, else abort',
  },
);

export const MetricOracleSpec = Type.Object(
  {
    kind: Type.Literal('metric'),
    command: OracleCommand,
    files: Type.Optional(OracleFiles),
    timeoutSeconds: OracleTimeout,
    network: Type.Optional(CommandNetwork),
  },
  { additionalProperties: false, description: 'a command that prints a number' },
);

export const SpliceLoopbackOracleSpec = Type.Object(
  {
    kind: Type.Literal('splice-loopback'),
    args: Type.Optional(
      Type.String({ maxLength: 1024, description: 'splice-bench flags, e.g. --mode splice' }),
    ),
    measure: Type.Optional(
      Type.Union([Type.Literal('rate'), Type.Literal('stalls')], {
        description:
          'what a sample is: `rate`, transactions/s (rr) or bytes/s (bulk), higher is better ' +
          '(default); `stalls`, milliseconds per second stalled in receive gaps ≥ 30 ms, ' +
          'lower is better. The measure sets decision.direction, which may not contradict it',
      }),
    ),
    timeoutSeconds: OracleTimeout,
  },
  { additionalProperties: false, description: 'the splice()/loopback test' },
);

export const OracleSpec = discriminated('kind', [
  CommandOracleSpec,
  MetricOracleSpec,
  SpliceLoopbackOracleSpec,
]);
export type OracleSpec = Static<typeof OracleSpec>;
export type SpliceLoopbackOracleSpec = Static<typeof SpliceLoopbackOracleSpec>;

/** The splice-bench options of a splice-loopback spec; throws SpliceLoopbackSpecInvalid. */
export function spliceBenchOptionsOf(spec: SpliceLoopbackOracleSpec): SpliceBenchOptions {
  return parseSpliceLoopbackArgs(spec.args ?? '');
}

/** One thing wrong with an oracle spec, by its JSON path under the oracle (`/args`). */
export interface OracleSpecProblem {
  path: string;
  message: string;
}

/**
 * The rules the schema cannot say, checked where a spec comes in (API, CLI) and again where
 * it runs: splice-bench flags that parse, files that stay inside their directory.
 */
export function oracleSpecProblems(spec: OracleSpec): OracleSpecProblem[] {
  if (spec.kind === 'splice-loopback') {
    try {
      spliceBenchOptionsOf(spec);
      return [];
    } catch (error) {
      if (!(error instanceof SpliceLoopbackSpecInvalid)) throw error;
      return [{ path: '/args', message: error.reason }];
    }
  }
  return oracleFileProblems(spec.files ?? []);
}

/**
 * What a bisect's numbers are, known from the spec before any sample, so verdict summaries
 * can say "rr transactions -100% vs good (2383 → 0 txn/s)". Undefined for exit codes and for
 * a metric (only the user knows), and for flags that do not parse (refused elsewhere).
 */
export function oracleQuantity(spec: OracleSpec): { metric: string; unit: string } | undefined {
  if (spec.kind !== 'splice-loopback') return undefined;
  try {
    const bench = spliceBenchOptionsOf(spec);
    return spliceBenchQuantity(
      bench.pattern ?? SPLICE_LOOPBACK_DEFAULTS.pattern ?? 'rr',
      spec.measure ?? DEFAULT_SPLICE_MEASURE,
    );
  } catch {
    return undefined;
  }
}

/**
 * Whether the oracle runs the user's own code (command, metric), which the worker host runs in
 * its sandbox, or only kbisect's own program (splice-bench), which must run unconfined there
 * because it sets lo's MTU. On a lab both run as the lab config's user.
 */
export function runsUserCode(spec: OracleSpec): boolean {
  return spec.kind !== 'splice-loopback';
}

/**
 * Whether the oracle's samples are measurements (a metric, splice-loopback's rate or stalls),
 * which a host busy with other work changes, rather than an exit code, which it does not.
 */
export function measuresPerformance(spec: OracleSpec): boolean {
  return spec.kind !== 'command';
}

const FORMS = "command:'CMD', metric:'CMD' or splice-loopback[:FLAGS]";

/**
 * The `--oracle` text of the CLI (`command:CMD`, `metric:CMD`, `splice-loopback[:FLAGS]`) as
 * a spec, its flags checked. Throws OracleSpecInvalid naming the text.
 */
export function parseOracleText(text: string): OracleSpec {
  const colon = text.indexOf(':');
  const kind = colon === -1 ? text : text.slice(0, colon);
  const rest = colon === -1 ? '' : text.slice(colon + 1).trim();
  const fail = (reason: string): never => {
    throw new OracleSpecInvalid(`'${text}'`, reason);
  };
  switch (kind) {
    case 'command':
    case 'metric':
      if (!rest) fail(`${kind} needs a command, e.g. ${kind}:'./test.sh'`);
      return { kind, command: rest };
    case 'splice-loopback': {
      const spec: OracleSpec = { kind, ...(rest ? { args: rest } : {}) };
      const problem = oracleSpecProblems(spec)[0];
      if (problem) fail(problem.message);
      return spec;
    }
    default:
      return fail(`unknown oracle kind '${kind}'; use ${FORMS}`);
  }
}
