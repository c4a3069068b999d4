export {
  type BuildCommand,
  type BuildContext,
  type ShellBuildOptions,
  shellBuild,
} from './command-build.js';
