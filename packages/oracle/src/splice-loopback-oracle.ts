import { OracleFailed } from '@kbisect/core';
import { SpliceBenchFailed } from './errors/index.js';
import type { Oracle } from './oracle.js';
import type { SpliceLoopbackOracleSpec } from './oracle-spec.js';
import type { OracleTarget } from './oracle-target.js';
import { runSpliceBench, type SpliceBenchOptions, spliceBenchSample } from './splice-bench.js';
import { buildSpliceBench } from './splice-bench-build.js';
import { DEFAULT_SPLICE_MEASURE, spliceBenchQuantity } from './splice-measure.js';

export interface SpliceLoopbackOracleOptions {
  target: OracleTarget;
  spec: SpliceLoopbackOracleSpec;
  /** The spec's flags, parsed (`spliceBenchOptionsOf`). */
  bench: SpliceBenchOptions;
  /** Where the compiled splice-bench is kept between runs. */
  cacheDir: string;
  /** Default: splice-bench's own, from its duration and hang timeout. */
  timeoutMs?: number;
}

/**
 * The splice()/loopback oracle of the original report, measured on its target (this machine
 * for `kbisect run` and `lab: local`, a lab over SSH for a kernel bisect). The program is
 * built once (statically for another machine) and installed on the target before each
 * sample: a kexec may have emptied the lab's /tmp. The commit under test changes the
 * kernel, not the benchmark.
 */
export async function spliceLoopbackOracle(options: SpliceLoopbackOracleOptions): Promise<Oracle> {
  const { target, spec, bench } = options;
  const measure = spec.measure ?? DEFAULT_SPLICE_MEASURE;
  const binary = await buildSpliceBench({ outDir: options.cacheDir, static: target.remote });
  return {
    description: [
      'splice-loopback',
      (spec.args ?? '').trim(),
      measure === 'stalls' ? '(stalls)' : '',
    ]
      .filter((part) => part !== '')
      .join(' '),
    quantity: spliceBenchQuantity(bench.pattern ?? 'bulk', measure),
    async measure({ signal }) {
      const path = await target.install(binary.binaryPath);
      try {
        const result = await runSpliceBench(target.runner, path, bench, {
          signal,
          ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
        });
        return spliceBenchSample(result, measure);
      } catch (error) {
        if (!(error instanceof SpliceBenchFailed)) throw error;
        throw new OracleFailed(
          `splice-bench produced no result: ${error.message}`,
          error.stderrTail,
        );
      }
    },
  };
}
