export type { BisectEnvironment, PreparedCommit } from './environment.js';
export { BisectCancelled, OracleFailed } from './errors.js';
export type { BisectEvent } from './events.js';
export {
  type BisectOutcome,
  type Calibration,
  type Confirmation,
  EndpointUnbuildable,
  type RunBisectOptions,
  runBisect,
} from './run-bisect.js';
