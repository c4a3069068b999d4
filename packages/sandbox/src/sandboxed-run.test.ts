import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { procStat } from './proc.js';
import { Sandbox } from './sandbox.js';

const work = mkdtempSync(join(tmpdir(), 'kbisect-sandboxed-run-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const sandbox = Sandbox.cleanEnvironmentOnly(join(work, 'state'));

/** Alive and not a zombie. */
const running = (pid: number) => {
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z';
};
const helperPid = () => Number(readFileSync(join(work, 'helper.pid'), 'utf8'));

// A command that leaves a helper behind in its group, as splice-bench's server or make's
// children would: the run must not resolve while the helper still runs.
const leavesHelper = (leader: string) => `sleep 60 & echo $! > helper.pid; trap '' TERM; ${leader}`;

describe('runSandboxed', () => {
  it('resolves with the exit code and output, and only after the group has ended', async () => {
    const out: Buffer[] = [];
    const run = await sandbox.run(
      ['sh', '-c', `${leavesHelper('true')}; echo done; exit 3`],
      { cwd: work },
      { timeoutMs: 20_000, onStdout: (chunk) => out.push(chunk) },
    );
    expect(run).toMatchObject({ exitCode: 3, timedOut: false, aborted: false, killed: false });
    expect(Buffer.concat(out).toString()).toBe('done\n');
    expect(running(helperPid())).toBe(false);
  });

  it('kills the whole group at the time limit and says so', async () => {
    const run = await sandbox.run(
      ['sh', '-c', leavesHelper('sleep 60')],
      { cwd: work },
      {
        timeoutMs: 300,
      },
    );
    expect(run).toMatchObject({ timedOut: true, aborted: false, exitCode: null });
    expect(run.signal).toBe('SIGKILL');
    expect(running(helperPid())).toBe(false);
  });

  it('sends SIGTERM first on cancel and SIGKILL after the grace period to what ignores it', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const run = await sandbox.run(
      ['sh', '-c', leavesHelper('while :; do sleep 0.05; done')],
      { cwd: work },
      { timeoutMs: 20_000, signal: controller.signal, graceMs: 300 },
    );
    // The shell ignores SIGTERM (trap ''), so only the SIGKILL after the grace ends it.
    expect(run).toMatchObject({ aborted: true, timedOut: false, killed: true });
    expect(run.durationMs).toBeGreaterThanOrEqual(550);
    expect(running(helperPid())).toBe(false);
  });

  it('rejects a program that cannot start', async () => {
    await expect(
      sandbox.run(['/nonexistent/program'], { cwd: work }, { timeoutMs: 1000 }),
    ).rejects.toThrow(/ENOENT/);
  });
});
