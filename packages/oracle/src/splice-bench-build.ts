import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, constants, mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SpliceBenchBuildFailed } from './errors/splice-bench-build-failed.js';

const execFileAsync = promisify(execFile);

/** The C source and its Makefile, shipped beside this package's src/. */
export const SPLICE_BENCH_SOURCE_DIR = fileURLToPath(new URL('../splice-bench/', import.meta.url));

const BUILD_TIMEOUT_MS = 120_000;

export interface BuildSpliceBenchOptions {
  /** Where built binaries are cached; default `$TMPDIR/kbisect-splice-bench`. */
  outDir?: string;
  /** A static binary, for a lab machine without a compiler or matching libc. */
  static?: boolean;
  signal?: AbortSignal;
}

export interface SpliceBenchBinary {
  binaryPath: string;
  /** First 16 hex digits of the sha256 of the source and Makefile. */
  sourceHash: string;
  /** True when an earlier build of the same source was reused. */
  cached: boolean;
}

async function sourceHash(): Promise<string> {
  const hash = createHash('sha256');
  for (const name of ['splice-bench.c', 'Makefile']) {
    hash.update(name);
    hash.update(await readFile(join(SPLICE_BENCH_SOURCE_DIR, name)));
  }
  return hash.digest('hex').slice(0, 16);
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Compiles splice-bench with make, once per source version: the binary is cached under
 * its source hash, so tests and workers rebuild only when the C code changes. The build
 * goes to a private directory and is renamed into place, so concurrent builds (parallel
 * test files, two workers) never see a half-written binary.
 */
export async function buildSpliceBench(
  options: BuildSpliceBenchOptions = {},
): Promise<SpliceBenchBinary> {
  const outDir = options.outDir ?? join(tmpdir(), 'kbisect-splice-bench');
  const hash = await sourceHash();
  const binaryPath = join(outDir, `splice-bench-${hash}${options.static ? '-static' : ''}`);
  if (await isExecutable(binaryPath)) return { binaryPath, sourceHash: hash, cached: true };

  await mkdir(outDir, { recursive: true });
  const buildDir = await mkdtemp(join(outDir, '.build-'));
  const built = join(buildDir, 'splice-bench');
  const command = [
    'make',
    '-C',
    SPLICE_BENCH_SOURCE_DIR,
    `BIN=${built}`,
    options.static ? 'static' : 'all',
  ];
  try {
    const [file, ...args] = command as [string, ...string[]];
    await execFileAsync(file, args, {
      timeout: BUILD_TIMEOUT_MS,
      signal: options.signal,
      maxBuffer: 16 * 1024 * 1024,
    });
    await rename(built, binaryPath);
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const {
      stdout = '',
      stderr = '',
      message,
    } = error as Error & {
      stdout?: string;
      stderr?: string;
    };
    const log = `${stdout}${stderr}`.trimEnd() || message;
    throw new SpliceBenchBuildFailed(command, log.split('\n').slice(-30).join('\n'));
  } finally {
    await rm(buildDir, { recursive: true, force: true });
  }
  return { binaryPath, sourceHash: hash, cached: false };
}
