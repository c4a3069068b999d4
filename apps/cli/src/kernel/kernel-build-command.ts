import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  type BuildLog,
  type KernelBuild,
  KernelBuilder,
  type KernelBuildSpec,
  KernelSpecInvalid,
  kernelBuildSpecOf,
} from '@kbisect/build';
import { ConfigInvalid, loadConfig, Repositories } from '@kbisect/config';
import { DEFAULT_BUILD_TIMEOUT_SECONDS } from '@kbisect/contracts';
import { formatDuration } from '@kbisect/core';
import { RepositoryNotFound, UnknownRef } from '@kbisect/git';
import type { Command } from 'commander';
import {
  addKernelBuildOptions,
  type KernelFlags,
  kernelBuildRequestOf,
} from '../service/kernel-flags.js';
import { UsageError } from '../usage-error.js';

interface KernelBuildFlags extends KernelFlags {
  repo: string;
  buildTimeout: string;
  config?: string;
  cacheDir?: string;
  json?: boolean;
}

/**
 * `kbisect kernel build --repo R REF`: one kernel, built the way the service builds each
 * commit of a bisect — the same mirror, O= tree, ccache and artifact cache under the service's
 * cache directory (`cacheDir`, `kernelBuildDir` of its configuration) — so a lab's default
 * kernel built here costs the first bisect nothing, and a kernel a bisect built is found here.
 */
export function registerKernelCommands(program: Command): void {
  const kernel = program
    .command('kernel')
    .description("kernels built with the service's kernel builder and its caches");
  addKernelBuildOptions(
    kernel
      .command('build <ref>')
      .description('build the kernel of one commit; prints the image, modules and release')
      .requiredOption('--repo <path|url>', 'the kernel git repository')
      .option(
        '--build-timeout <seconds>',
        'kill a longer build',
        String(DEFAULT_BUILD_TIMEOUT_SECONDS),
      )
      .option(
        '--config <file>',
        "the service's configuration, for its cacheDir and kernelBuildDir (default: KBISECT_CONFIG)",
      )
      .option('--cache-dir <dir>', "the service's cacheDir (default ~/.cache/kbisect)")
      .option('--json', 'print the build as one JSON object on stdout'),
  ).action(async (ref: string, flags: KernelBuildFlags) => {
    process.exitCode = await kernelBuildCommand(ref, flags);
  });
}

async function kernelBuildCommand(ref: string, flags: KernelBuildFlags): Promise<number> {
  const spec = kernelSpecOf(flags);
  const config = await loadConfig({
    ...(flags.config ? { file: flags.config } : {}),
    overrides: { cacheDir: flags.cacheDir ? resolve(flags.cacheDir) : undefined },
  }).catch(usage(ConfigInvalid));
  const repository = await new Repositories(config.cacheDir)
    .get(existsSync(flags.repo) ? resolve(flags.repo) : flags.repo)
    .catch(usage(RepositoryNotFound));
  // A branch name means its tip now, not when the mirror was last fetched.
  await repository.fetch();
  const commit = await repository.resolveRef(ref).catch(usage(UnknownRef));
  const builder = await KernelBuilder.create({
    spec,
    cacheDir: config.kernelBuildDir ?? join(config.cacheDir, 'kernel'),
  }).catch(usage(KernelSpecInvalid));

  const controller = new AbortController();
  const onSigint = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSigint);
  const progress: BuildLog = { info: (_fields, message) => process.stderr.write(`${message}\n`) };
  let built: KernelBuild;
  try {
    built = await builder.build(repository, commit, controller.signal, { log: progress });
  } finally {
    process.off('SIGINT', onSigint);
  }
  return printBuild(built, flags.json ?? false);
}

/** The spec of the flags: the kernel flags of `kbisect start`, of which a config is required. */
function kernelSpecOf(flags: KernelBuildFlags): KernelBuildSpec {
  const timeout = Number(flags.buildTimeout);
  if (!(timeout > 0)) {
    throw new UsageError(`--build-timeout '${flags.buildTimeout}': expected seconds, above 0`);
  }
  const request = kernelBuildRequestOf(flags, timeout);
  if (!request) {
    throw new UsageError(
      'kernel build needs a config: --defconfig TARGET [--config-fragment FILE] or --kernel-config FILE',
    );
  }
  return kernelBuildSpecOf(request, timeout);
}

/** Turns an expected error of one kind into a usage error that says what to change. */
function usage(kind: new (...args: never[]) => Error) {
  return (error: unknown): never => {
    if (error instanceof kind) throw new UsageError(error.message);
    throw error;
  };
}

function printBuild({ evidence, artifact }: KernelBuild, json: boolean): number {
  const short = evidence.commit.slice(0, 12);
  if (json) {
    process.stdout.write(
      `${JSON.stringify({
        commit: evidence.commit,
        ok: evidence.ok,
        cached: evidence.cached,
        ...(artifact?.release ? { release: artifact.release } : {}),
        ...(artifact?.image ? { image: artifact.image } : {}),
        ...(artifact?.modulesArchive ? { modules: artifact.modulesArchive } : {}),
        ...(artifact?.config ? { config: artifact.config } : {}),
        ...(evidence.signature ? { signature: evidence.signature } : {}),
        seconds: evidence.seconds,
        logPath: evidence.logPath,
        ...(evidence.ok ? {} : { logTail: evidence.logTail ?? '', timedOut: !!evidence.timedOut }),
      })}\n`,
    );
  }
  if (!evidence.ok || !artifact?.image) {
    const why = evidence.timedOut ? 'was killed at --build-timeout' : 'does not build';
    process.stderr.write(
      `kbisect: kernel ${short} ${why}; the build log: ${evidence.logPath}\n${evidence.logTail ?? ''}\n`,
    );
    return 1;
  }
  const how = evidence.cached
    ? 'was in the artifact cache (built before)'
    : `built in ${formatDuration(evidence.seconds)}`;
  const out = json ? process.stderr : process.stdout;
  out.write(
    [
      `kernel ${short} ${how}`,
      `image:   ${artifact.image}`,
      ...(artifact.modulesArchive ? [`modules: ${artifact.modulesArchive}`] : []),
      `release: ${artifact.release}`,
      ...(artifact.config ? [`config:  ${artifact.config}`] : []),
      '',
    ].join('\n'),
  );
  return 0;
}
