export { localBootId } from './boot-id.js';
export { consoleTail } from './console-log.js';
export { assertRunning, type Deployment, deployKernel, type KernelToDeploy } from './deploy.js';
export * from './errors/index.js';
export { hostKeyFingerprint } from './host-key.js';
export { installModules } from './install-modules.js';
export { installProgram } from './install-program.js';
export {
  type AcquireOptions,
  type LabLease,
  LabLeases,
  type LabLeasesOptions,
  type PoolAcquireOptions,
} from './lab-leases.js';
export { type ExecResult, LabSession } from './lab-session.js';
export { type LabTarget, labTarget } from './lab-target.js';
export { checkLabAfterUncleanHolder, type Recovery, recoverLab } from './recover.js';
export { type ConnectOptions, connectLab } from './ssh-connection.js';
export { SshRunner, type SshRunnerOptions } from './ssh-runner.js';
export { type BootSeen, waitForNewBoot } from './wait-for-boot.js';
