export { BWRAP_INSTALL, findBwrap, probeBwrap } from './bwrap.js';
export { cleanEnvironment, SAFE_PATH } from './clean-environment.js';
export * from './errors/index.js';
export { groupMembers, startTimeOf } from './proc.js';
export {
  type GroupRecord,
  ProcessGroups,
  type ReapedGroup,
  signalGroup,
} from './process-groups.js';
export { type RunAsUser, resolveRunAs } from './run-as.js';
export {
  Sandbox,
  type SandboxedProcess,
  type SandboxOptions,
  type SandboxRequest,
} from './sandbox.js';
export { CommandNetwork, SandboxConfig } from './sandbox-config.js';
export { type RunControl, runSandboxed, type SandboxedRun } from './sandboxed-run.js';
