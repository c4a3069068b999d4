import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sandbox, type SandboxedRun } from '@kbisect/sandbox';
import { RunAborted } from './errors/run-aborted.js';
import { RunFailedToStart } from './errors/run-failed-to-start.js';

export interface RunOptions {
  /** The run is killed (its whole process group) after this long; `timedOut` says so. */
  timeoutMs: number;
  cwd?: string;
  /**
   * What the run is given besides a clean environment (PATH, HOME, LANG): the commit, the
   * spec's variables. Never the runner's own environment, which holds the service's secrets.
   */
  env?: Readonly<Record<string, string>>;
  /** The spec asked for network (a sandbox gives none otherwise). */
  network?: boolean;
  /** Aborting kills the run and rejects with `RunAborted`. */
  signal?: AbortSignal;
}

export interface RunResult {
  /** Null when the process was ended by a signal. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
}

/**
 * Runs a program and reports how it ended. The seam between an oracle and where it runs:
 * `LocalRunner` here, an SSH runner on a lab machine later. argv is an array, never a
 * shell string, so nothing in it is interpreted.
 */
export interface Runner {
  run(argv: readonly string[], options: RunOptions): Promise<RunResult>;
}

export interface LocalRunnerOptions {
  /** Per stream; the tail is kept because the end of a log says why a run failed. */
  maxOutputBytes?: number;
  /** Where programs run: the worker's sandbox; a clean environment only when absent. */
  sandbox?: Sandbox;
}

const DEFAULT_MAX_OUTPUT_BYTES = 8 * 1024 * 1024;

/** Collects a stream's output, keeping at most the last `max` bytes. */
class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly max: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size > this.max * 2) this.trim();
  }

  text(): string {
    this.trim();
    return Buffer.concat(this.chunks).toString('utf8');
  }

  private trim(): void {
    if (this.size <= this.max) return;
    const all = Buffer.concat(this.chunks);
    const kept = all.subarray(all.length - this.max);
    this.chunks = [kept];
    this.size = kept.length;
  }
}

/**
 * Runs a program on this machine. The program gets its own process group, and the whole
 * group is killed on timeout, on abort, and when the program exits: an oracle's helpers
 * (splice-bench forks a server) must never outlive it and disturb the next measurement.
 */
export class LocalRunner implements Runner {
  private readonly maxOutputBytes: number;
  private readonly sandbox: Sandbox;

  constructor(options: LocalRunnerOptions = {}) {
    this.maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    this.sandbox =
      options.sandbox ?? Sandbox.cleanEnvironmentOnly(join(tmpdir(), 'kbisect-runner'));
  }

  /**
   * Before the run starts, the process groups a dead worker left on this host are killed:
   * a measurement never shares the machine with an orphaned one.
   */
  async run(argv: readonly string[], options: RunOptions): Promise<RunResult> {
    if (argv.length === 0) throw new RangeError('run: argv is empty');
    const { signal } = options;
    if (signal?.aborted) throw new RunAborted(argv, '', '');
    await this.sandbox.reapOrphans();
    const stdout = new OutputTail(this.maxOutputBytes);
    const stderr = new OutputTail(this.maxOutputBytes);
    let run: SandboxedRun;
    try {
      run = await this.sandbox.run(
        argv,
        {
          cwd: options.cwd ?? process.cwd(),
          ...(options.env ? { env: options.env } : {}),
          ...(options.network ? { network: true } : {}),
        },
        {
          timeoutMs: options.timeoutMs,
          ...(signal ? { signal } : {}),
          onStdout: (chunk) => stdout.push(chunk),
          onStderr: (chunk) => stderr.push(chunk),
        },
      );
    } catch (error) {
      throw new RunFailedToStart(argv, error as Error);
    }
    if (run.aborted) throw new RunAborted(argv, stdout.text(), stderr.text());
    return {
      exitCode: run.exitCode,
      signal: run.signal,
      stdout: stdout.text(),
      stderr: stderr.text(),
      durationMs: run.durationMs,
      timedOut: run.timedOut,
    };
  }
}
