import { OracleFailed } from '@kbisect/core';
import { commandOracle } from './command-oracle.js';
import { OracleSpecInvalid } from './errors/oracle-spec-invalid.js';
import { metricOracle } from './metric-oracle.js';
import { type Oracle, type OracleContext, outputTail } from './oracle.js';
import type { OracleFile } from './oracle-file.js';
import {
  DEFAULT_ORACLE_TIMEOUT_SECONDS,
  type OracleSpec,
  oracleSpecProblems,
  spliceBenchOptionsOf,
} from './oracle-spec.js';
import type { OracleTarget } from './oracle-target.js';
import { spliceLoopbackOracle } from './splice-loopback-oracle.js';

export interface OracleForOptions {
  /** Where the oracle runs: `localTarget()`, or a lab's target after its kernel is proven. */
  target: OracleTarget;
  /** Where built tools (splice-bench) are kept between runs. */
  cacheDir: string;
}

const PROOF_TIMEOUT_MS = 30_000;

/**
 * The oracle a spec names, prepared on a target: the one factory of every oracle kind for
 * every target. Each sample first proves the kernel when the context names one (the running
 * `uname -r` is the built release: a lab that fell back to its default kernel must not pass
 * its numbers off as the commit's), then writes the spec's files into the directory the
 * command runs in, then measures.
 */
export async function oracleFor(
  spec: OracleSpec,
  { target, cacheDir }: OracleForOptions,
): Promise<Oracle> {
  const problem = oracleSpecProblems(spec)[0];
  if (problem) throw new OracleSpecInvalid(problem.path, problem.message);
  const timeoutMs = spec.timeoutSeconds !== undefined ? 1000 * spec.timeoutSeconds : undefined;
  const { runner } = target;
  let oracle: Oracle;
  /** Undefined for splice-loopback, which runs no user command in a directory. */
  let files: readonly OracleFile[] | undefined;
  switch (spec.kind) {
    case 'command':
    case 'metric': {
      const make = spec.kind === 'command' ? commandOracle : metricOracle;
      oracle = make({
        runner,
        command: spec.command,
        timeoutMs: timeoutMs ?? 1000 * DEFAULT_ORACLE_TIMEOUT_SECONDS,
        network: spec.network ?? false,
      });
      files = spec.files ?? [];
      break;
    }
    case 'splice-loopback':
      oracle = await spliceLoopbackOracle({
        target,
        spec,
        bench: spliceBenchOptionsOf(spec),
        cacheDir,
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      });
      files = undefined;
      break;
  }
  return {
    ...oracle,
    async measure(context: OracleContext) {
      if (context.release !== undefined) await proveKernel(target, context.release, context.signal);
      if (files !== undefined) await target.prepareDir(context.dir, files);
      return oracle.measure(context);
    },
  };
}

/** OracleFailed unless the target runs `release`, naming both releases. */
async function proveKernel(
  target: OracleTarget,
  release: string,
  signal: AbortSignal,
): Promise<void> {
  const run = await target.runner.run(['uname', '-r'], { timeoutMs: PROOF_TIMEOUT_MS, signal });
  const running = run.stdout.trim();
  if (run.exitCode !== 0 || running === '') {
    throw new OracleFailed(
      `kernel proof on ${target.name}: uname -r failed (exit ${run.exitCode})`,
      outputTail(run.stdout + run.stderr),
    );
  }
  if (running !== release) {
    throw new OracleFailed(
      `kernel proof on ${target.name}: it runs ${running}, not the built ${release}`,
    );
  }
}
