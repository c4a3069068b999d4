export type { KernelArtifact } from './artifact-cache.js';
export {
  type BuildProgress,
  estimateSecondsLeft,
  progressMessage,
} from './build-progress.js';
export {
  type BuildCommand,
  type BuildContext,
  compilerCacheFor,
  type ShellBuildOptions,
  shellBuild,
} from './command-build.js';
export { missingConfigLines } from './config-check.js';
export * from './errors/index.js';
export { imagePath, sourceArch } from './kernel-arch.js';
export { KernelBuildRequest, kernelBuildSpecOf } from './kernel-build-request.js';
export { CcacheMode, KernelBuildSpec, KernelConfigSource } from './kernel-build-spec.js';
export {
  type KernelBuild,
  type KernelBuildEvidence,
  KernelBuilder,
  type KernelBuilderOptions,
  type KernelBuildTimings,
  type KernelSource,
} from './kernel-builder.js';
export { kernelSignature } from './kernel-signature.js';
export { commitOfRelease, localVersionFor } from './local-version.js';
export {
  type BuildLog,
  type BuildProgressOptions,
  DEFAULT_PROGRESS_INTERVAL_MS,
} from './progress-ticker.js';
