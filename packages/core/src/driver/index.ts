export { bootsIsGoodPolicy } from './boot-bisect-policy.js';
export type { BisectEnvironment, PreparedCommit } from './environment.js';
export {
  BisectCancelled,
  EndpointDidNotBoot,
  OracleFailed,
  type OracleFailureReason,
} from './errors.js';
export type { BisectEvent } from './events.js';
export {
  type BisectOutcome,
  type Calibration,
  type CalibrationPlan,
  type Confirmation,
  EndpointUnbuildable,
  type RunBisectOptions,
  runBisect,
} from './run-bisect.js';
export {
  type StatisticalCalibrationOptions,
  statisticalCalibration,
} from './statistical-calibration.js';
