import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** redis-server is not installed: the message says how to get it, or how to do without. */
export class RedisServerMissing extends Error {
  override readonly name = 'RedisServerMissing';
  constructor() {
    super(
      'redis-server is not installed. Install it (Debian/Ubuntu: sudo apt-get install redis-server; ' +
        'Fedora: sudo dnf install redis; macOS: brew install redis), or point REDIS_URL at a Redis ' +
        '(e.g. REDIS_URL=redis://127.0.0.1:6379).',
    );
  }
}

export interface PrivateRedis {
  url: string;
  readonly pid: number;
  /** Stops the server (SIGTERM, by pid) and keeps its port and directory for `restart`. */
  kill(): Promise<void>;
  /** Starts it again on the same port, with the same directory. */
  restart(): Promise<void>;
  /** Stops it and removes its directory. */
  stop(): Promise<void>;
}

/** A free TCP port on loopback, as the kernel hands one out. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * A redis-server of our own on a free loopback port, with its files in a temp directory and
 * no persistence: for the demo, the bench, and tests that must stop or restart Redis without
 * touching the machine's shared one. Stopped by its pid.
 */
export async function startPrivateRedis(
  options: { appendOnly?: boolean } = {},
): Promise<PrivateRedis> {
  try {
    execFileSync('sh', ['-c', 'command -v redis-server'], { stdio: 'ignore' });
  } catch {
    throw new RedisServerMissing();
  }
  const dir = mkdtempSync(join(tmpdir(), 'kbisect-redis-'));
  const port = await freePort();
  let server = await launch(port, dir, options.appendOnly ?? false);
  return {
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return server.child.pid as number;
    },
    async kill() {
      if (server.child.exitCode === null) server.child.kill('SIGTERM');
      await server.exited;
    },
    async restart() {
      server = await launch(port, dir, options.appendOnly ?? false);
    },
    async stop() {
      if (server.child.exitCode === null) server.child.kill('SIGTERM');
      await server.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function launch(
  port: number,
  dir: string,
  appendOnly: boolean,
): Promise<{ child: ChildProcess; exited: Promise<void> }> {
  const child: ChildProcess = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      appendOnly ? 'yes' : 'no',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!output.includes('Ready to accept connections')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not start on port ${port}:\n${output.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { child, exited };
}
