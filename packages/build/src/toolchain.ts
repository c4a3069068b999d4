import { createHash } from 'node:crypto';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { Sandbox } from '@kbisect/sandbox';
import type { ResolvedKernelBuildSpec } from './kernel-build-spec.js';

export interface Toolchain {
  /** The CC make variable, e.g. `ccache gcc`. Kept identical for every build of a directory:
   * switching `ccache gcc` and `gcc` makes kbuild rebuild everything. */
  cc: string;
  crossCompile: string;
  ccache: boolean;
  /** Hash of the compiler's and linker's version lines: a new compiler is a new cache key. */
  id: string;
  /** The version lines the id hashes, for the report. */
  description: string;
}

export async function findOnPath(program: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, program);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

/** The compiler is the spec's own choice: it is asked for its version in the sandbox. */
async function firstLine(sandbox: Sandbox, file: string, args: string[]): Promise<string> {
  try {
    const run = await sandbox.output([file, ...args], { cwd: '/', writable: [] }, 10_000);
    if (run.exitCode !== 0) return `unavailable: ${file} exited with ${run.exitCode}`;
    return run.stdout.split('\n')[0]?.trim() ?? '';
  } catch (error) {
    return `unavailable: ${(error as Error).message.split('\n')[0]}`;
  }
}

/** Resolves the compiler command line and identifies the toolchain. */
export async function resolveToolchain(
  spec: ResolvedKernelBuildSpec,
  sandbox: Sandbox,
): Promise<Toolchain> {
  const useCcache =
    spec.ccache === 'on' || (spec.ccache === 'auto' && (await findOnPath('ccache')) !== undefined);
  const alreadyCcache = spec.cc.split(/\s+/)[0] === 'ccache';
  const cc = useCcache && !alreadyCcache ? `ccache ${spec.cc}` : spec.cc;
  const compiler = cc.split(/\s+/).filter((word) => word !== 'ccache');
  const [ccFile, ...ccArgs] = compiler as [string, ...string[]];
  const ccVersion = await firstLine(sandbox, ccFile, [...ccArgs, '--version']);
  const ldVersion = await firstLine(sandbox, `${spec.crossCompile}ld`, ['--version']);
  const description = `${ccVersion}; ${ldVersion}`;
  const id = createHash('sha256').update(description).digest('hex').slice(0, 12);
  return {
    cc,
    crossCompile: spec.crossCompile,
    ccache: useCcache || alreadyCcache,
    id,
    description,
  };
}
