import { createHash } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, hostname } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { type BuildEvidence, formatDuration } from '@kbisect/core';
import { Sandbox, type SandboxRequest } from '@kbisect/sandbox';
import { ArtifactCache, type KernelArtifact } from './artifact-cache.js';
import { withFreeBuildDir } from './build-dir-lock.js';
import { BuildLogObjects } from './build-log-objects.js';
import { missingConfigLines } from './config-check.js';
import { readFullBuild, writeFullBuild } from './full-build-record.js';
import { imagePath } from './kernel-arch.js';
import {
  configHash,
  type KernelBuildSpec,
  type ResolvedKernelBuildSpec,
  resolveKernelBuildSpec,
} from './kernel-build-spec.js';
import { kernelSignature } from './kernel-signature.js';
import { localVersionFor } from './local-version.js';
import { logTail } from './log-tail.js';
import { type GroupRunResult, runInGroup } from './process-group.js';
import { type BuildProgressOptions, startProgressTicker } from './progress-ticker.js';
import { checkoutSource } from './source-tree.js';
import { resolveToolchain, type Toolchain } from './toolchain.js';

/** The repository to build from; `@kbisect/git`'s Repository is one. */
/** What make and the compiler print when the host's disk failed the build, not the commit. */
const HOST_FILE_SYSTEM_FAULT =
  /No space left on device|Disk quota exceeded|Read-only file system|Input\/output error/;

export interface KernelSource {
  mirrorPath: string;
  treeId(commit: string): Promise<string>;
}

export interface KernelBuildTimings {
  checkoutSeconds: number;
  configureSeconds: number;
  compileSeconds: number;
  totalSeconds: number;
}

/** BuildEvidence plus what a kernel build proves; journaled as the commit's build evidence. */
export interface KernelBuildEvidence extends BuildEvidence {
  commit: string;
  treeId: string;
  /** The artifact came from the cache: nothing was compiled for this commit. */
  cached: boolean;
  artifactKey: string;
  /** `uname -r` of this kernel (ok only). */
  release?: string;
  timings: KernelBuildTimings;
  /** The full build log on the build host. */
  logPath: string;
  toolchain: string;
  /** Fragment options that `olddefconfig` dropped at this commit. */
  configWarnings?: string[];
}

export interface KernelBuild {
  evidence: KernelBuildEvidence;
  /** Present when the build succeeded. */
  artifact?: KernelArtifact;
}

export interface KernelBuilderOptions {
  spec: KernelBuildSpec;
  /** Build trees, artifacts and the ccache live here. */
  cacheDir: string;
  /** Lines of build output kept in the evidence of a failure. */
  tailLines?: number;
  /**
   * Where the tree's Makefiles and scripts run (they are the commit's code); a clean
   * environment only, when absent.
   */
  sandbox?: Sandbox;
  /**
   * Source + O= trees kept per spec: as many builds of one spec run at once on this host,
   * each in a tree of its own (a worker makes it its build concurrency). Default 1.
   */
  trees?: number;
}

// A fixed build stamp: the same tree gives the same image, and ccache is not defeated by
// a timestamp that changes every build.
const REPRODUCIBLE_VARS = [
  'KBUILD_BUILD_USER=kbisect',
  'KBUILD_BUILD_HOST=kbisect',
  'KBUILD_BUILD_VERSION=1',
  'KBUILD_BUILD_TIMESTAMP=Thu Jan  1 00:00:00 UTC 2026',
];

const seconds = (from: number) => (performance.now() - from) / 1000;

/**
 * Builds the kernel of any commit for one spec. Source trees with their O= build directories
 * per (repository, config, arch, compiler) are reused from commit to commit, so a bisect
 * step recompiles only what the step changed; finished kernels are cached by tree id +
 * config hash + toolchain id. There are `trees` of them: a build takes the first free one,
 * so builds of one spec run side by side (a speculative build beside the real one) instead
 * of queueing for one tree's lock, and they share the compiler cache. A failed or timed-out
 * build is evidence (ok: false, the log tail), never an exception; exceptions mean the
 * builder itself cannot work.
 */
export class KernelBuilder {
  readonly artifacts: ArtifactCache;

  private constructor(
    readonly spec: ResolvedKernelBuildSpec,
    readonly toolchain: Toolchain,
    readonly configHash: string,
    private readonly cacheDir: string,
    private readonly tailLines: number,
    private readonly sandbox: Sandbox,
    readonly trees: number,
  ) {
    this.artifacts = new ArtifactCache(join(cacheDir, 'artifacts'));
  }

  static async create(options: KernelBuilderOptions): Promise<KernelBuilder> {
    const spec = resolveKernelBuildSpec(options.spec, availableParallelism());
    const cacheDir = resolve(options.cacheDir);
    const sandbox = options.sandbox ?? Sandbox.cleanEnvironmentOnly(join(cacheDir, 'sandbox'));
    const toolchain = await resolveToolchain(spec, sandbox);
    return new KernelBuilder(
      spec,
      toolchain,
      await configHash(spec),
      cacheDir,
      options.tailLines ?? 40,
      sandbox,
      Math.max(1, Math.floor(options.trees ?? 1)),
    );
  }

  /** The cache key of a tree built with this spec and toolchain. */
  artifactKey(treeId: string): string {
    return `${treeId}-${this.configHash}-${this.toolchain.id}`;
  }

  /**
   * The first of the reused source and build directories for `source` with this spec (the one
   * a lone build takes). The mirror is named by its real path: one reached through a symlink
   * (a service cache sharing another's mirrors) builds in the same tree, not in a second one
   * from scratch.
   */
  treeDir(source: KernelSource): string {
    const mirror = existsSync(source.mirrorPath)
      ? realpathSync(source.mirrorPath)
      : resolve(source.mirrorPath);
    const key = createHash('sha256')
      .update(
        [
          mirror,
          this.configHash,
          this.spec.arch,
          this.toolchain.cc,
          this.toolchain.crossCompile,
        ].join('\0'),
      )
      .digest('hex')
      .slice(0, 16);
    return join(this.cacheDir, 'trees', key);
  }

  /** Every tree of `source` with this spec: the first, then `<first>.2`, `<first>.3`... */
  treeDirs(source: KernelSource): string[] {
    const first = this.treeDir(source);
    return Array.from({ length: this.trees }, (_, i) => (i === 0 ? first : `${first}.${i + 1}`));
  }

  /**
   * `progress` gets a line when compiling starts (what, where, -j) and then every interval:
   * the time so far and the objects compiled against the last full build of the tree.
   */
  async build(
    source: KernelSource,
    commit: string,
    signal: AbortSignal,
    progress: BuildProgressOptions = {},
  ): Promise<KernelBuild> {
    const started = performance.now();
    const treeId = await source.treeId(commit);
    const key = this.artifactKey(treeId);
    const hit = await this.artifacts.get(key);
    if (hit)
      return {
        evidence: this.evidenceOf(hit, commit, true, started, 0),
        ...(hit.ok ? { artifact: hit } : {}),
      };

    const treeDirs = this.treeDirs(source);
    await Promise.all(treeDirs.map((dir) => mkdir(join(dir, 'logs'), { recursive: true })));
    const locks = treeDirs.map((dir) => join(dir, 'lock'));
    return withFreeBuildDir(locks, signal, async (index) => {
      // Another build may have built the same tree while this one waited for a free tree.
      const built = await this.artifacts.get(key);
      if (built)
        return {
          evidence: this.evidenceOf(built, commit, true, started, 0),
          ...(built.ok ? { artifact: built } : {}),
        };
      const treeDir = treeDirs[index] as string;
      return this.buildLocked(source, commit, treeId, key, treeDir, signal, started, progress, {
        yardstickDir: treeDirs[0] as string,
      });
    });
  }

  private async buildLocked(
    source: KernelSource,
    commit: string,
    treeId: string,
    key: string,
    treeDir: string,
    signal: AbortSignal,
    started: number,
    progress: BuildProgressOptions,
    { yardstickDir }: { yardstickDir: string },
  ): Promise<KernelBuild> {
    const src = join(treeDir, 'src');
    const out = join(treeDir, 'out');
    const dirtyMarker = join(treeDir, 'out.dirty');
    const logPath = join(treeDir, 'logs', `${commit.slice(0, 12)}-${Date.now()}.log`);
    const deadline = Date.now() + this.spec.timeoutMs;

    const checkoutStarted = performance.now();
    await checkoutSource(source.mirrorPath, src, commit);
    const checkoutSeconds = seconds(checkoutStarted);
    // A build killed with SIGKILL may have left truncated objects that look up to date.
    if (existsSync(dirtyMarker)) await rm(out, { recursive: true, force: true });
    await rm(dirtyMarker, { force: true });
    // From an empty O= every object is compiled: this build's count is the yardstick of later
    // builds of the tree (failing that, the first build that succeeds).
    const fullBuild = !existsSync(join(out, '.config'));
    await mkdir(out, { recursive: true });

    const localVersion = localVersionFor(commit);
    const make = (...args: string[]) => [
      'make',
      '-C',
      src,
      `O=${out}`,
      `ARCH=${this.spec.arch}`,
      `CC=${this.toolchain.cc}`,
      ...(this.toolchain.crossCompile ? [`CROSS_COMPILE=${this.toolchain.crossCompile}`] : []),
      ...REPRODUCIBLE_VARS,
      ...Object.entries(this.spec.makeVars).map(([name, value]) => `${name}=${value}`),
      ...args,
    ];
    const ccacheDir = process.env.CCACHE_DIR ?? join(this.cacheDir, 'ccache');
    await mkdir(ccacheDir, { recursive: true });
    // The tree's Makefiles are the commit's code: they read the sources and the config
    // fragments, and write only the build directory and the compiler cache.
    const request = (cwd: string): SandboxRequest => ({
      cwd,
      env: {
        CCACHE_DIR: ccacheDir,
        // Paths under the tree directory become relative (../src/...), the same in every tree
        // directory: a new build directory for the same sources then hits the cache.
        CCACHE_BASEDIR: treeDir,
        // make output in English, for log tails a person can search.
        LC_ALL: 'C',
      },
      writable: [out, ccacheDir],
      readable: [src, ...this.readableConfig()],
    });
    const run = (argv: string[], cwd = src) =>
      runInGroup(argv, { sandbox: this.sandbox, request: request(cwd), deadline, signal, logPath });

    let failed: GroupRunResult | undefined;
    const step = async (argv: string[], cwd?: string) => {
      if (failed) return;
      const result = await run(argv, cwd);
      if (result.exitCode !== 0 || result.timedOut || result.aborted) failed = result;
    };

    // A second tree's first build has no full build of its own yet: the first tree's is as good.
    const lastFull = (await readFullBuild(treeDir)) ?? (await readFullBuild(yardstickDir));
    const objects = new BuildLogObjects(logPath);
    this.logStart(progress, commit, treeDir, fullBuild, lastFull);
    let compileStarted: number | undefined;
    const ticker = startProgressTicker(progress, async () => ({
      commit: commit.slice(0, 12),
      elapsedSeconds: seconds(started),
      objects: await objects.count(),
      ...(lastFull ? { expectedObjects: lastFull.objects } : {}),
      ...(compileStarted !== undefined ? { compileSeconds: seconds(compileStarted) } : {}),
    }));
    let configWarnings: string[] = [];
    let configureSeconds = 0;
    const modulesDir = join(out, '.kbisect-modules');
    try {
      const configureStarted = performance.now();
      configWarnings = await this.configure(src, out, make, step, () => failed);
      configureSeconds = seconds(configureStarted);
      compileStarted = performance.now();
      await step(make(`-j${this.spec.jobs}`, `LOCALVERSION=${localVersion}`, ...this.spec.targets));
      if (this.spec.targets.includes('modules')) {
        await rm(modulesDir, { recursive: true, force: true });
        await step(
          make(
            `LOCALVERSION=${localVersion}`,
            `INSTALL_MOD_PATH=${modulesDir}`,
            'INSTALL_MOD_STRIP=1',
            'modules_install',
          ),
        );
      }
    } finally {
      ticker.stop();
    }
    const compileSeconds = seconds(compileStarted ?? started);
    const compiledObjects = await objects.count();

    if (failed?.killed) await writeFile(dirtyMarker, 'killed mid-build\n');
    if (failed?.aborted) signal.throwIfAborted();
    const timings = (): KernelArtifact['timings'] => ({
      configureSeconds,
      compileSeconds,
      totalSeconds: seconds(started),
    });

    if (failed) {
      const tail = await logTail(logPath, this.tailLines);
      const evidenceBase = { commit, treeId, ok: false as const, logTail: tail };
      if (failed.timedOut || HOST_FILE_SYSTEM_FAULT.test(tail)) {
        // Not cached: a slow machine, or a full or read-only disk, is no property of the
        // commit (the worker waits such faults out and asks again: host-fault.ts).
        return {
          evidence: {
            ...evidenceBase,
            seconds: seconds(started),
            ...(failed.timedOut ? { timedOut: true } : {}),
            cached: false,
            artifactKey: key,
            timings: { checkoutSeconds, ...timings() },
            logPath,
            toolchain: this.toolchain.description,
          },
        };
      }
      const entry = await this.artifacts.put(
        {
          key,
          ...evidenceBase,
          logTail: tail,
          timings: timings(),
          builtAt: new Date().toISOString(),
        },
        { log: logPath },
      );
      return { evidence: this.evidenceOf(entry, commit, false, started, checkoutSeconds) };
    }

    const release = (
      await this.captureRelease(
        make(`LOCALVERSION=${localVersion}`, '-s', 'kernelrelease'),
        request(src),
      )
    ).trim();
    const image = join(out, imagePath(this.spec.arch, this.spec.targets));
    const signature = await kernelSignature(out, image, this.toolchain.crossCompile);
    const entry = await this.artifacts.put(
      {
        key,
        ok: true,
        commit,
        treeId,
        release,
        signature,
        timings: timings(),
        builtAt: new Date().toISOString(),
        ...(configWarnings.length ? { logTail: `config: ${configWarnings.join(', ')}` } : {}),
      },
      {
        image,
        config: join(out, '.config'),
        log: logPath,
        ...(existsSync(modulesDir) ? { modulesDir } : {}),
      },
    );
    if (fullBuild || (!lastFull && compiledObjects > 0)) {
      await writeFullBuild(treeDir, {
        objects: compiledObjects,
        seconds: compileSeconds,
        commit,
        builtAt: entry.builtAt,
      });
    }
    const evidence = this.evidenceOf(entry, commit, false, started, checkoutSeconds);
    if (configWarnings.length) evidence.configWarnings = configWarnings;
    return { evidence, artifact: entry };
  }

  /**
   * Writes the commit's .config: the given file or defconfig + fragments, the release
   * options kbisect owns, then `make olddefconfig` for this commit's Kconfig. Fragment
   * options olddefconfig dropped are merged and resolved once more (LAB-NOTES: ACPI can
   * vanish on the first pass); what is still missing is returned as warnings.
   */
  private async configure(
    src: string,
    out: string,
    make: (...args: string[]) => string[],
    step: (argv: string[], cwd?: string) => Promise<void>,
    failed: () => GroupRunResult | undefined,
  ): Promise<string[]> {
    const config = this.spec.config;
    const dotConfig = join(out, '.config');
    const fragments = config.kind === 'defconfig' ? (config.fragments ?? []) : [];
    // In the build directory: merge_config.sh makes its temporary files in the current
    // directory, and the sources are read-only in the sandbox.
    const merge = () =>
      step(
        [join(src, 'scripts/kconfig/merge_config.sh'), '-m', '-O', out, dotConfig, ...fragments],
        out,
      );
    if (config.kind === 'file') {
      await copyFile(config.path, dotConfig);
    } else {
      await step(make(config.target));
      if (fragments.length) await merge();
    }
    await step([
      join(src, 'scripts/config'),
      '--file',
      dotConfig,
      '--disable',
      'LOCALVERSION_AUTO',
      '--set-str',
      'LOCALVERSION',
      '',
    ]);
    await step(make('olddefconfig'));
    if (failed() || fragments.length === 0) return [];
    const wanted = (await Promise.all(fragments.map((f) => readFile(f, 'utf8')))).join('\n');
    let missing = missingConfigLines(wanted, await readFile(dotConfig, 'utf8'));
    if (missing.length === 0) return [];
    await merge();
    await step(make('olddefconfig'));
    if (failed()) return [];
    missing = missingConfigLines(wanted, await readFile(dotConfig, 'utf8'));
    return missing;
  }

  /** The first line of a build: what is built, where, how wide, and the yardstick. */
  private logStart(
    progress: BuildProgressOptions,
    commit: string,
    treeDir: string,
    fullBuild: boolean,
    lastFull: Awaited<ReturnType<typeof readFullBuild>>,
  ): void {
    const config =
      this.spec.config.kind === 'file'
        ? basename(this.spec.config.path)
        : [
            this.spec.config.target,
            ...(this.spec.config.fragments ?? []).map((f) => basename(f)),
          ].join(' + ');
    const host = hostname();
    const yardstick = lastFull
      ? `; the last full build compiled ${lastFull.objects} objects in ${formatDuration(lastFull.seconds)}`
      : '';
    progress.log?.info(
      {
        config,
        arch: this.spec.arch,
        targets: this.spec.targets,
        jobs: this.spec.jobs,
        toolchain: this.toolchain.description,
        host,
        buildDir: treeDir,
        fullBuild,
        ...(lastFull ? { expectedObjects: lastFull.objects } : {}),
      },
      `build ${commit.slice(0, 12)}: kernel ${config}, ${this.spec.arch} ${this.spec.targets.join(' ')}, ` +
        `-j${this.spec.jobs}, CC=${this.toolchain.cc}, on ${host} in ${treeDir}` +
        `${fullBuild ? ' (a full build: empty build directory)' : ''}${yardstick}`,
    );
  }

  /** The config file and fragments of the spec: make reads them in the sandbox. */
  private readableConfig(): string[] {
    const config = this.spec.config;
    return config.kind === 'file' ? [config.path] : [...(config.fragments ?? [])];
  }

  private async captureRelease(argv: string[], request: SandboxRequest): Promise<string> {
    const { exitCode, stdout, stderr } = await this.sandbox.output(argv, request, 60_000);
    if (exitCode !== 0) {
      throw new Error(`${argv.join(' ')} exited with ${exitCode}: ${stderr.trim().slice(-500)}`);
    }
    return (
      stdout
        .split('\n')
        .filter((line) => line.trim() !== '')
        .at(-1) ?? ''
    );
  }

  private evidenceOf(
    artifact: KernelArtifact,
    commit: string,
    cached: boolean,
    started: number,
    checkoutSeconds: number,
  ): KernelBuildEvidence {
    const total = seconds(started);
    return {
      ok: artifact.ok,
      seconds: total,
      ...(artifact.ok ? {} : { logTail: artifact.logTail ?? '' }),
      commit,
      treeId: artifact.treeId,
      cached,
      artifactKey: artifact.key,
      ...(artifact.release ? { release: artifact.release } : {}),
      ...(artifact.signature ? { signature: artifact.signature } : {}),
      timings: cached
        ? { checkoutSeconds: 0, configureSeconds: 0, compileSeconds: 0, totalSeconds: total }
        : { checkoutSeconds, ...artifact.timings, totalSeconds: total },
      logPath: artifact.log,
      toolchain: this.toolchain.description,
    };
  }
}
