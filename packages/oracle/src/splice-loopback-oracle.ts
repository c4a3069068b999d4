import { OracleFailed } from '@kbisect/core';
import { SpliceBenchFailed } from './errors/index.js';
import type { Oracle } from './oracle.js';
import type { Runner } from './runner.js';
import { runSpliceBench, spliceBenchSample } from './splice-bench.js';
import { buildSpliceBench } from './splice-bench-build.js';
import { parseSpliceLoopbackSpec } from './splice-loopback-spec.js';
import {
  DEFAULT_SPLICE_MEASURE,
  type SpliceMeasure,
  spliceBenchQuantity,
} from './splice-measure.js';

export interface SpliceLoopbackOracleOptions {
  runner: Runner;
  /** The splice-bench flags after `splice-loopback:`; empty for the default workload. */
  args: string;
  /** What a sample is: the rate (default) or the stalled time. */
  measure?: SpliceMeasure;
  /** Where the compiled splice-bench is kept between runs. */
  cacheDir: string;
  timeoutMs: number;
}

/**
 * The splice()/loopback oracle of the original report, measured where `runner` runs
 * (this machine for `kbisect run`; a lab over SSH later). The program is built once; the
 * commit under test changes the kernel, not the benchmark.
 */
export async function spliceLoopbackOracle(options: SpliceLoopbackOracleOptions): Promise<Oracle> {
  const benchOptions = parseSpliceLoopbackSpec(
    `splice-loopback${options.args ? `:${options.args}` : ''}`,
  );
  const measure = options.measure ?? DEFAULT_SPLICE_MEASURE;
  const binary = await buildSpliceBench({ outDir: options.cacheDir });
  return {
    description: ['splice-loopback', options.args.trim(), measure === 'stalls' ? '(stalls)' : '']
      .filter((part) => part !== '')
      .join(' '),
    quantity: spliceBenchQuantity(benchOptions.pattern ?? 'bulk', measure),
    async measure({ signal }) {
      try {
        const result = await runSpliceBench(options.runner, binary.binaryPath, benchOptions, {
          timeoutMs: options.timeoutMs,
          signal,
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
