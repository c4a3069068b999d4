export { type CommandOracleOptions, commandOracle } from './command-oracle.js';
export * from './errors/index.js';
export { lastNumber, type MetricOracleOptions, metricOracle } from './metric-oracle.js';
export { type Oracle, type OracleContext, outputTail } from './oracle.js';
export {
  DEFAULT_ORACLE_FILE_MODE,
  MAX_ORACLE_FILES,
  MAX_ORACLE_FILES_BYTES,
  OracleFile,
  type OracleFileProblem,
  OracleFiles,
  oracleFileProblems,
  writeOracleFilesHere,
} from './oracle-file.js';
export { type OracleForOptions, oracleFor } from './oracle-for.js';
export {
  CommandOracleSpec,
  DEFAULT_ORACLE_TIMEOUT_SECONDS,
  MetricOracleSpec,
  measuresPerformance,
  OracleSpec,
  type OracleSpecProblem,
  oracleQuantity,
  oracleSpecProblems,
  parseOracleText,
  runsUserCode,
  SpliceLoopbackOracleSpec,
  spliceBenchOptionsOf,
} from './oracle-spec.js';
export { localTarget, type OracleTarget } from './oracle-target.js';
export {
  LocalRunner,
  type LocalRunnerOptions,
  type Runner,
  type RunOptions,
  type RunResult,
} from './runner.js';
export {
  MORE_POLICIES,
  type MorePolicy,
  PIPE_SOURCES,
  type PipeSource,
  parseSpliceBenchOutput,
  type RunSpliceBenchOptions,
  runSpliceBench,
  SPLICE_BENCH_MODES,
  SPLICE_BENCH_PATTERNS,
  SPLICE_LENS,
  type SpliceBenchMode,
  type SpliceBenchOptions,
  type SpliceBenchPattern,
  type SpliceBenchResult,
  type SpliceLen,
  STALL_BUCKETS,
  type StallBucket,
  spliceBenchArgs,
  spliceBenchSample,
} from './splice-bench.js';
export {
  type BuildSpliceBenchOptions,
  buildSpliceBench,
  SPLICE_BENCH_SOURCE_DIR,
  type SpliceBenchBinary,
} from './splice-bench-build.js';
export {
  type SpliceLoopbackOracleOptions,
  spliceLoopbackOracle,
} from './splice-loopback-oracle.js';
export { parseSpliceLoopbackArgs, SPLICE_LOOPBACK_DEFAULTS } from './splice-loopback-spec.js';
export {
  DEFAULT_SPLICE_MEASURE,
  SPLICE_MEASURES,
  type SpliceMeasure,
  spliceBenchQuantity,
  spliceMeasureDirection,
  stalledMsPerSecond,
} from './splice-measure.js';
