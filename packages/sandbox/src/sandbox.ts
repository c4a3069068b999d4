import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { BWRAP_INSTALL, bwrapArgs, findBwrap, probeBwrap } from './bwrap.js';
import { cleanEnvironment } from './clean-environment.js';
import { NetworkNotAllowed } from './errors/network-not-allowed.js';
import { SandboxUnavailable } from './errors/sandbox-unavailable.js';
import { type ProcessGroups, signalGroup } from './process-groups.js';
import { checkReachable, giveTo, type RunAsUser, resolveRunAs } from './run-as.js';
import type { SandboxConfig } from './sandbox-config.js';
import { type RunControl, runSandboxed, type SandboxedRun } from './sandboxed-run.js';

/** One command a bisect brings, and what it may touch. */
export interface SandboxRequest {
  cwd: string;
  /** What the spec sets (KBISECT_COMMIT, ...), on top of the clean environment. */
  env?: Readonly<Record<string, string>>;
  /** Directories the command writes: the worktree, a build tree, ccache. Default: [cwd]. */
  writable?: readonly string[];
  /** Directories it reads although they lie in a hidden one (a kernel source tree). */
  readable?: readonly string[];
  /** The spec asked for network (build.network, oracle.network). */
  network?: boolean;
}

export interface SandboxOptions {
  config: SandboxConfig;
  /** This worker's own directory: commands' HOME without bwrap. */
  stateDir: string;
  /**
   * What no command may see under bwrap: the service's config file, lab keys, the cache of
   * every bisect (a command's own directories are bound back in).
   */
  hidden?: readonly string[];
  /** Directories commands work below, checked to be reachable by the runAs user at start. */
  workDirs?: readonly string[];
  /** Where the started groups are recorded, so a dead worker's orphans can be killed. */
  groups?: ProcessGroups;
}

/** A started command: no stdin, its output piped to the caller. */
export type SandboxedProcess = ChildProcessByStdio<null, Readable, Readable>;

interface Layers {
  /** Replaces the fixed PATH. */
  path?: string;
  bwrap?: string;
  user?: RunAsUser;
  allowNetwork: boolean;
}

/**
 * The one way kbisect starts code a bisect brings on this host: build commands, a kernel
 * tree's Makefiles and scripts, command and metric oracles. Every command gets a clean
 * environment (never the service's variables); with `runAs` it runs as that user; with bwrap
 * it sees the host read-only, without the service's files and without network unless the
 * spec asks. Each command is the leader of its own process group, recorded in `groups` until
 * the group has ended. docs/security.md says what each layer stops.
 */
export class Sandbox {
  private constructor(
    private readonly layers: Layers,
    private readonly home: string,
    private readonly hidden: readonly string[],
    readonly groups: ProcessGroups | undefined,
  ) {}

  /**
   * Checks every configured layer on this host: a `mode: bwrap` without a working bwrap, or
   * a `runAs` user that does not exist or cannot reach the work directories, stops the
   * worker at start with what to do.
   */
  static async create(options: SandboxOptions): Promise<Sandbox> {
    const { config } = options;
    const user = config.runAs ? await resolveRunAs(config.runAs) : undefined;
    const home = join(resolve(options.stateDir), 'home');
    mkdirSync(home, { recursive: true });
    if (user) {
      for (const dir of [...(options.workDirs ?? []), home]) await checkReachable(dir, user);
      await giveTo(user, [home]);
    }
    const bwrap = config.mode === 'none' ? undefined : await usableBwrap(config.mode, user);
    return new Sandbox(
      { ...(bwrap ? { bwrap } : {}), ...(user ? { user } : {}), allowNetwork: config.allowNetwork },
      home,
      (options.hidden ?? []).map((path) => resolve(path)),
      options.groups,
    );
  }

  /**
   * A clean environment and nothing more: `kbisect run` on the user's own machine, tests.
   * `path` replaces the fixed PATH (the CLI keeps its user's toolchain).
   */
  static cleanEnvironmentOnly(
    stateDir: string,
    options: { path?: string; groups?: ProcessGroups } = {},
  ): Sandbox {
    const home = join(resolve(stateDir), 'home');
    mkdirSync(home, { recursive: true });
    return new Sandbox(
      { allowNetwork: true, ...(options.path ? { path: options.path } : {}) },
      home,
      [],
      options.groups,
    );
  }

  /** The layers in words, for the worker's start line. */
  get description(): string {
    const { bwrap, user } = this.layers;
    return [
      'clean environment',
      user ? `as ${user.name} (uid ${user.uid})` : 'as the worker user',
      bwrap ? 'in bwrap (read-only host, no network unless asked)' : 'without bwrap',
    ].join(', ');
  }

  /**
   * The same environment and group records without bwrap and user switch: for programs
   * kbisect built itself (splice-bench sets lo's MTU, which needs the worker's privileges).
   */
  unconfined(): Sandbox {
    return new Sandbox({ allowNetwork: true }, this.home, [], this.groups);
  }

  /**
   * Starts `argv` (no shell: a command line is `['sh', '-c', text]`, as git bisect run does)
   * in its own process group. When the leader exits, whatever is left of its group is killed
   * and the group forgotten: nothing a command started outlives it.
   */
  async spawn(argv: readonly string[], request: SandboxRequest): Promise<SandboxedProcess> {
    const [program, ...args] = argv;
    if (program === undefined) throw new RangeError('spawn: argv is empty');
    const { bwrap, user } = this.layers;
    const network = request.network ?? false;
    if (network && !this.layers.allowNetwork) throw new NetworkNotAllowed(argv.join(' '));
    const cwd = resolve(request.cwd);
    const writable = (request.writable ?? [cwd]).map((path) => resolve(path));
    if (user) await giveTo(user, writable);
    const home = bwrap ? '/tmp' : this.home;
    const env = {
      ...cleanEnvironment(home, request.env),
      ...(this.layers.path ? { PATH: this.layers.path } : {}),
    };
    const [file, fileArgs] = bwrap
      ? [
          bwrap,
          [
            ...bwrapArgs({
              cwd,
              writable,
              readable: (request.readable ?? []).map((path) => resolve(path)),
              hidden: this.hidden,
              network,
            }),
            '--',
            program,
            ...args,
          ],
        ]
      : [program, args];
    const child = spawn(file, fileArgs, {
      cwd,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
    });
    const pgid = child.pid;
    if (pgid !== undefined) {
      this.groups?.record(pgid, argv.join(' '));
      child.once('exit', () => {
        signalGroup(pgid, 'SIGKILL');
        this.groups?.forget(pgid);
      });
    }
    // A program that cannot start (no such file, a cwd the user may not enter) rejects here,
    // rather than as an 'error' event nobody listens to yet.
    await new Promise<void>((started, failed) => {
      child.once('spawn', started);
      child.once('error', failed);
    });
    return child;
  }

  /** Runs `argv` to its end: timeout, cancel and the kill of its group; see runSandboxed. */
  run(
    argv: readonly string[],
    request: SandboxRequest,
    control: RunControl,
  ): Promise<SandboxedRun> {
    return runSandboxed(this, argv, request, control);
  }

  /**
   * Runs a short command of the commit's code to completion and returns what it printed: a
   * probe like `make kernelrelease` or `$CC --version` (the compiler is the spec's). A run
   * over `timeoutMs` is killed and rejected.
   */
  async output(
    argv: readonly string[],
    request: SandboxRequest,
    timeoutMs: number,
  ): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const run = await this.run(argv, request, {
      timeoutMs,
      onStdout: (chunk) => stdout.push(chunk),
      onStderr: (chunk) => stderr.push(chunk),
    });
    if (run.timedOut) throw new Error(`${argv.join(' ')} took longer than ${timeoutMs / 1000} s`);
    return {
      exitCode: run.exitCode,
      stdout: Buffer.concat(stdout).toString('utf8'),
      stderr: Buffer.concat(stderr).toString('utf8'),
    };
  }

  /** Kills the groups that workers now dead left on this host; see ProcessGroups. */
  async reapOrphans() {
    return this.groups ? this.groups.reapOrphans() : [];
  }
}

async function usableBwrap(
  mode: 'auto' | 'bwrap',
  user: RunAsUser | undefined,
): Promise<string | undefined> {
  const bwrap = await findBwrap();
  if (!bwrap) {
    if (mode === 'auto') return undefined;
    throw new SandboxUnavailable(
      'sandbox.mode',
      `'bwrap' but bwrap is not installed; install it (${BWRAP_INSTALL}) or set sandbox.mode: none`,
    );
  }
  const problem = await probeBwrap(bwrap, user);
  if (!problem) return bwrap;
  if (mode === 'auto') return undefined;
  throw new SandboxUnavailable(
    'sandbox.mode',
    `'bwrap' but ${bwrap} does not work here${user ? ` as ${user.name}` : ''}: ${problem}. ` +
      'As a user other than root it needs unprivileged user namespaces ' +
      '(sysctl kernel.unprivileged_userns_clone=1, or user.max_user_namespaces > 0); ' +
      'or set sandbox.mode: none',
  );
}
