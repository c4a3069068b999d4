import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { RunAborted } from './errors/run-aborted.js';
import { RunFailedToStart } from './errors/run-failed-to-start.js';
import { LocalRunner } from './runner.js';

const runner = new LocalRunner();

/** Alive means running: a zombie waiting for its reaper is already dead for our purpose. */
async function isAlive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function waitUntilDead(pid: number, ms = 2000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!(await isAlive(pid))) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

describe('LocalRunner', () => {
  it('returns the exit code, both outputs and the duration of a program', async () => {
    const result = await runner.run(['sh', '-c', 'echo out; echo err >&2; exit 3'], {
      timeoutMs: 5000,
    });
    expect(result).toMatchObject({
      exitCode: 3,
      signal: null,
      stdout: 'out\n',
      stderr: 'err\n',
      timedOut: false,
    });
    expect(result.durationMs).toBeGreaterThan(0);
  });

  it('passes argv to the program untouched, with no shell to interpret it', async () => {
    const result = await runner.run(['printf', '%s|', 'a b', '$HOME', ';ls', '*'], {
      timeoutMs: 5000,
    });
    expect(result.stdout).toBe('a b|$HOME|;ls|*|');
  });

  it('runs in the given directory with the given variables and nothing of its own environment', async () => {
    process.env.KB_RUNNER_SECRET = 'not for programs';
    try {
      const result = await runner.run(['sh', '-c', 'pwd; echo "$KB_PROBE"; env'], {
        timeoutMs: 5000,
        cwd: tmpdir(),
        env: { KB_PROBE: 'yes' },
      });
      expect(result.stdout).toMatch(new RegExp(`^${tmpdir()}\nyes\n`));
      expect(result.stdout).toContain('PATH=/usr/local/sbin:');
      expect(result.stdout).not.toContain('KB_RUNNER_SECRET');
    } finally {
      delete process.env.KB_RUNNER_SECRET;
    }
  });

  it('kills the program and its children when the timeout expires', async () => {
    const started = Date.now();
    const result = await runner.run(['sh', '-c', 'sleep 30 & echo $!; wait'], {
      timeoutMs: 300,
    });
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).toBeNull();
    expect(result.signal).toBe('SIGKILL');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await waitUntilDead(Number(result.stdout.trim()))).toBe(true);
  });

  it('leaves no child behind when the program exits, even one holding its output open', async () => {
    const started = Date.now();
    const result = await runner.run(['sh', '-c', 'sleep 30 & echo $!'], { timeoutMs: 10_000 });
    expect(result.exitCode).toBe(0);
    expect(result.timedOut).toBe(false);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await waitUntilDead(Number(result.stdout.trim()))).toBe(true);
  });

  it('kills the program and rejects with RunAborted when the signal aborts', async () => {
    const controller = new AbortController();
    const run = runner.run(['sh', '-c', 'echo $$; exec sleep 30'], {
      timeoutMs: 10_000,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 200);
    const error = await run.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RunAborted);
    const pid = Number((error as RunAborted).stdout.trim());
    expect(pid).toBeGreaterThan(0);
    expect(await waitUntilDead(pid)).toBe(true);
  });

  it('does not start a program whose signal has already aborted', async () => {
    await expect(
      runner.run(['sh', '-c', 'exit 0'], { timeoutMs: 1000, signal: AbortSignal.abort() }),
    ).rejects.toBeInstanceOf(RunAborted);
  });

  it('rejects with RunFailedToStart when the program does not exist', async () => {
    await expect(
      runner.run(['/nonexistent/splice-bench', '--help'], { timeoutMs: 1000 }),
    ).rejects.toBeInstanceOf(RunFailedToStart);
  });

  it('keeps the tail of an output larger than its limit, where the reason for a failure is', async () => {
    const small = new LocalRunner({ maxOutputBytes: 1000 });
    const result = await small.run(
      ['sh', '-c', 'head -c 100000 /dev/zero | tr "\\0" a; echo END'],
      {
        timeoutMs: 5000,
      },
    );
    expect(result.stdout.length).toBe(1000);
    expect(result.stdout.endsWith('aaaEND\n')).toBe(true);
  });
});
