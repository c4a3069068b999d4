import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { KernelBuildRequest } from '@kbisect/build';
import type { Command } from 'commander';
import { UsageError } from '../usage-error.js';

/** The kernel build flags of `kbisect start`, as commander hands them over. */
export interface KernelFlags {
  kernelConfig?: string;
  defconfig?: string;
  configFragment?: string[];
  arch?: string;
  makeTarget?: string[];
  makeVar?: Record<string, string>;
  cc?: string;
  crossCompile?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `--make-var NAME=VALUE`, repeatable. */
function collectMakeVar(value: string, previous: Record<string, string> = {}) {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new UsageError(`--make-var '${value}': expected NAME=VALUE`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

/**
 * Flags for a kernel bisect on a lab: each commit's kernel is built by the service's kernel
 * builder (O= tree, ccache, artifact cache) instead of a `--build` command. Only `start` has
 * them: `kbisect run` boots no kernel, so a kernel build there would have nothing to test.
 */
export function addKernelBuildOptions(command: Command): Command {
  return command
    .option('--kernel-config <file>', 'kernel build: a full .config, brought up to each commit')
    .option('--defconfig <target>', 'kernel build: a make config target, e.g. defconfig')
    .option(
      '--config-fragment <file>',
      'kernel build: merged after --defconfig (repeatable)',
      collect,
    )
    .option('--arch <arch>', 'kernel build: the make ARCH (default x86_64)')
    .option(
      '--make-target <target>',
      'kernel build: a make target (default bzImage; repeatable, e.g. modules)',
      collect,
    )
    .option(
      '--make-var <NAME=VALUE>',
      'kernel build: an extra make variable, e.g. KCFLAGS=-Wno-error (repeatable)',
      collectMakeVar,
    )
    .option('--cc <compiler>', 'kernel build: the compiler, e.g. clang (default gcc, with ccache)')
    .option(
      '--cross-compile <prefix>',
      'kernel build: the cross toolchain prefix, e.g. aarch64-linux-gnu-',
    );
}

/**
 * The kernel build of the flags, or undefined when none was given. Paths are made absolute:
 * the build host reads them, so client and build host must share them (as for `--repo`).
 */
export function kernelBuildRequestOf(
  flags: KernelFlags,
  buildTimeoutSeconds: number,
): KernelBuildRequest | undefined {
  const given = [
    flags.kernelConfig,
    flags.defconfig,
    flags.configFragment,
    flags.arch,
    flags.makeTarget,
    flags.makeVar,
    flags.cc,
    flags.crossCompile,
  ].some((value) => value !== undefined);
  if (!given) return undefined;
  if (flags.kernelConfig !== undefined && flags.defconfig !== undefined) {
    throw new UsageError('--kernel-config and --defconfig exclude each other; pick one');
  }
  if (flags.kernelConfig === undefined && flags.defconfig === undefined) {
    throw new UsageError('a kernel build needs --kernel-config FILE or --defconfig TARGET');
  }
  if (flags.configFragment !== undefined && flags.defconfig === undefined) {
    throw new UsageError(
      '--config-fragment goes with --defconfig (a full --kernel-config has it all)',
    );
  }
  const absolute = (flag: string, path: string) => {
    const full = resolve(path);
    if (!existsSync(full)) throw new UsageError(`${flag} '${path}': no such file`);
    return full;
  };
  return {
    config:
      flags.kernelConfig !== undefined
        ? absolute('--kernel-config', flags.kernelConfig)
        : {
            defconfig: flags.defconfig as string,
            ...(flags.configFragment
              ? { fragments: flags.configFragment.map((f) => absolute('--config-fragment', f)) }
              : {}),
          },
    ...(flags.arch !== undefined ? { arch: flags.arch } : {}),
    ...(flags.makeTarget !== undefined ? { targets: flags.makeTarget } : {}),
    ...(flags.makeVar !== undefined ? { makeVars: flags.makeVar } : {}),
    ...(flags.cc !== undefined ? { cc: flags.cc } : {}),
    ...(flags.crossCompile !== undefined ? { crossCompile: flags.crossCompile } : {}),
    timeoutSeconds: buildTimeoutSeconds,
  };
}
