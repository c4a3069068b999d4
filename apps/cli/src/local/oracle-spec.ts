import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import {
  type OracleFile,
  type OracleSpec,
  OracleSpecInvalid,
  oracleFileProblems,
  parseOracleText,
  SPLICE_MEASURES,
  type SpliceMeasure,
} from '@kbisect/oracle';
import { UsageError } from '../usage-error.js';

/** `--oracle TEXT` as a spec: the oracle package's one parser, its errors as usage errors. */
export function parseOracleSpec(text: string): OracleSpec {
  try {
    return parseOracleText(text);
  } catch (error) {
    if (error instanceof OracleSpecInvalid)
      throw new UsageError(`--oracle ${error.message.replace(/^oracle /, '')}`);
    throw error;
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

/**
 * The oracle with the `--oracle-file PATH` files in it: each is carried in the spec under its
 * base name, with its permission bits, and written into the directory the command runs in
 * (the commit's worktree here, the lab's workDir on a lab) before each sample.
 */
export function withOracleFiles(oracle: OracleSpec, paths: readonly string[] = []): OracleSpec {
  if (paths.length === 0) return oracle;
  if (oracle.kind === 'splice-loopback') {
    throw new UsageError('--oracle-file applies to command: and metric: oracles only');
  }
  const files: OracleFile[] = paths.map((path) => {
    try {
      return {
        path: basename(path),
        content: readFileSync(path, 'utf8'),
        mode: statSync(path).mode & 0o777,
      };
    } catch (error) {
      throw new UsageError(`--oracle-file ${path}: ${(error as Error).message}`);
    }
  });
  const problem = oracleFileProblems(files)[0];
  if (problem) throw new UsageError(`--oracle-file: ${problem.message}`);
  return { ...oracle, files };
}
