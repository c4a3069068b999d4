import { RunAborted, type Runner, type RunOptions, type RunResult } from '@kbisect/oracle';
import type { NodeSSH } from 'node-ssh';
import { shellCommand, shellQuote } from './shell-quote.js';

const PID_LINE = /^kbisect-pid (\d+)\n/;

export interface SshRunnerOptions {
  /** A connected session; called for every run, so it may reconnect after a reboot. */
  connection: () => Promise<NodeSSH>;
  /** Per stream: the tail is kept, as with LocalRunner. */
  maxOutputBytes?: number;
}

/**
 * Runs a program on a lab over SSH, with LocalRunner's contract: argv is quoted word by word
 * (never a shell line), the program gets its own process group (setsid), and that group is
 * killed on timeout, on abort and when the program exits, so splice-bench's forked server
 * never outlives a run. `env` adds variables (it cannot empty the lab's environment).
 */
export class SshRunner implements Runner {
  private readonly maxOutputBytes: number;

  constructor(private readonly options: SshRunnerOptions) {
    this.maxOutputBytes = options.maxOutputBytes ?? 8 * 1024 * 1024;
  }

  async run(argv: readonly string[], options: RunOptions): Promise<RunResult> {
    if (argv.length === 0) throw new RangeError('run: argv is empty');
    const { signal } = options;
    if (signal?.aborted) throw new RunAborted(argv, '', '');
    const ssh = await this.options.connection();

    const env = Object.entries(options.env ?? {})
      .filter(([name, value]) => value !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      .map(([name, value]) => `${name}=${value}`);
    let program = shellCommand(env.length ? ['env', ...env, ...argv] : argv);
    if (options.cwd) program = `cd ${shellQuote(options.cwd)} && exec ${program}`;
    // `kill -KILL -PGID` is the one spelling dash and busybox both accept (not `--`).
    // `setsid` in a background job (not a group leader) makes the job its own session and
    // process group without forking: $! is then the group to kill.
    const script = [
      `setsid sh -c ${shellQuote(program)} & pid=$!`,
      'echo "kbisect-pid $pid" >&2',
      'wait $pid; rc=$?',
      'kill -KILL -$pid 2>/dev/null',
      'exit $rc',
    ].join('; ');

    const started = performance.now();
    let timedOut = false;
    let aborted = false;
    let remotePid: number | undefined;
    let channel: { close(): void } | undefined;
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const killRemote = async () => {
      if (remotePid !== undefined) {
        await ssh.execCommand(`kill -KILL -${remotePid} 2>/dev/null; true`).catch(() => {});
      }
      channel?.close();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      void killRemote();
    }, options.timeoutMs);
    const onAbort = () => {
      aborted = true;
      void killRemote();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const result = await ssh.execCommand(`sh -c ${shellQuote(script)}`, {
        noTrim: true,
        onChannel: (c) => {
          channel = c;
        },
        onStdout: (chunk) => stdout.push(chunk),
        onStderr: (chunk) => {
          stderr.push(chunk);
          if (remotePid === undefined) {
            const match = PID_LINE.exec(Buffer.concat(stderr).toString('utf8'));
            if (match) remotePid = Number(match[1]);
          }
        },
      });
      const err = tail(
        Buffer.concat(stderr).toString('utf8').replace(PID_LINE, ''),
        this.maxOutputBytes,
      );
      const out = tail(Buffer.concat(stdout).toString('utf8'), this.maxOutputBytes);
      if (aborted) throw new RunAborted(argv, out, err);
      const exitCode = timedOut ? null : result.code;
      return {
        exitCode,
        signal: timedOut ? 'SIGKILL' : (result.signal as NodeJS.Signals | null),
        stdout: out,
        stderr: err,
        durationMs: performance.now() - started,
        timedOut,
      };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }
}

function tail(text: string, max: number): string {
  return text.length > max ? text.slice(text.length - max) : text;
}
