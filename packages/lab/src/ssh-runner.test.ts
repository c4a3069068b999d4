import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSpliceBench, RunAborted, runSpliceBench } from '@kbisect/oracle';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNeeding } from '../../../test/support/requirements.js';
import { LabSession } from './lab-session.js';
import { startTestSshd, TEST_SSHD_NEEDS, type TestSshd } from './testing/test-sshd.js';

/** A zombie is dead: this container's init may take a while to reap orphans. */
function isAlive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describeNeeding(...TEST_SSHD_NEEDS)('SshRunner against a real sshd on loopback', () => {
  let sshd: TestSshd;
  let session: LabSession;
  beforeAll(async () => {
    sshd = await startTestSshd();
    session = new LabSession(sshd.lab);
  });
  afterAll(async () => {
    session?.disconnect();
    await sshd?.stop();
  });

  it('passes every argv word through unchanged and reports the exit code', async () => {
    const tricky = ["it's", '$(touch /tmp/never)', 'a b', '*', ''];
    const result = await session
      .runner()
      .run(['sh', '-c', 'printf "%s|" "$@"; exit 3', 'sh', ...tricky], { timeoutMs: 10_000 });

    expect(result.stdout).toBe(`${tricky.join('|')}|`);
    expect(result.exitCode).toBe(3);
    expect(result.timedOut).toBe(false);
  });

  it('runs in the given directory with the given variables', async () => {
    const result = await session.runner().run(['sh', '-c', 'echo "$PWD $KB_TEST"'], {
      timeoutMs: 10_000,
      cwd: '/tmp',
      env: { KB_TEST: 'value with spaces' },
    });
    expect(result.stdout.trim()).toBe('/tmp value with spaces');
  });

  it('kills the whole remote process group when the time limit passes', async () => {
    const pidFile = join(sshd.dir, 'sleeper.pid');
    const result = await session
      .runner()
      .run(['sh', '-c', `sleep 60 & echo $! > ${pidFile}; wait`], { timeoutMs: 1500 });

    expect(result.timedOut).toBe(true);
    expect(result.exitCode).toBeNull();
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await expect.poll(() => isAlive(pid), { timeout: 5000 }).toBe(false);
  });

  it('kills the remote program and rejects with RunAborted when cancelled', async () => {
    const pidFile = join(sshd.dir, 'aborted.pid');
    const controller = new AbortController();
    const run = session.runner().run(['sh', '-c', `echo $$ > ${pidFile}; sleep 60`], {
      timeoutMs: 30_000,
      signal: controller.signal,
    });
    await expect.poll(() => existsSync(pidFile), { timeout: 5000 }).toBe(true);
    controller.abort();

    await expect(run).rejects.toBeInstanceOf(RunAborted);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await expect.poll(() => isAlive(pid), { timeout: 5000 }).toBe(false);
  });

  it('runs splice-bench through the same seam as the local oracle', async () => {
    const binary = await buildSpliceBench({ static: true });
    const result = await runSpliceBench(session.runner(), binary.binaryPath, {
      pattern: 'rr',
      responseSize: 16384,
      durationSeconds: 0.5,
      timeoutSeconds: 5,
    });
    expect(result.tool).toBe('splice-bench');
    expect(result.hang).toBe(false);
    expect(result.transactions).toBeGreaterThan(0);
  });
});
