export { OracleOutputInvalid } from './oracle-output-invalid.js';
export { OracleSpecInvalid } from './oracle-spec-invalid.js';
export { RunAborted } from './run-aborted.js';
export { RunFailedToStart } from './run-failed-to-start.js';
export { SpliceBenchBuildFailed } from './splice-bench-build-failed.js';
export {
  SpliceBenchFailed,
  type SpliceBenchFailureKind,
  spliceBenchFailureKind,
} from './splice-bench-failed.js';
export { SpliceLoopbackSpecInvalid } from './splice-loopback-spec-invalid.js';
