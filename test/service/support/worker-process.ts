import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const WORKER_MAIN = join(ROOT, 'apps/worker/src/main.ts');

/**
 * A real worker process (`node --import tsx apps/worker/src/main.ts --config FILE`), as a
 * deployment runs it: tests kill it with SIGKILL or SIGTERM by its pid, never by name.
 */
export class WorkerProcess {
  readonly child: ChildProcess;
  output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(configFile: string, env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, ['--import', 'tsx', WORKER_MAIN, '--config', configFile], {
      cwd: ROOT,
      env: { ...process.env, REDIS_URL: '', KBISECT_CONFIG: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => {
      this.output += chunk.toString();
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.output += chunk.toString();
    });
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** Resolves when the worker logged `pattern` (its JSON lines), or rejects after `timeoutMs`. */
  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.output)) {
      if (this.child.exitCode !== null) {
        throw new Error(`worker exited before logging ${pattern}:\n${this.output.slice(-3000)}`);
      }
      if (Date.now() > deadline) {
        throw new Error(
          `worker did not log ${pattern} in ${timeoutMs} ms:\n${this.output.slice(-3000)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  ready(): Promise<void> {
    return this.waitFor(/worker ready/, 60_000);
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      process.kill(this.pid, signal);
    }
  }

  /** SIGKILL if still running, and wait for the exit: every test ends with this. */
  async stop(): Promise<void> {
    this.kill('SIGKILL');
    await this.exited;
  }
}
