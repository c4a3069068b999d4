import { release as hostRelease } from 'node:os';
import { OracleFailed } from '@kbisect/core';
import { type OracleSpec, oracleFor } from '@kbisect/oracle';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNeeding } from '../../../test/support/requirements.js';
import { LabSession } from './lab-session.js';
import { labTarget } from './lab-target.js';
import { startTestSshd, TEST_SSHD_NEEDS, type TestSshd } from './testing/test-sshd.js';

/**
 * Command and metric oracles on a lab, through the one oracle factory, against a real sshd on
 * loopback: the "lab" is this machine, so its running release is this host's `uname -r`.
 */
describeNeeding(...TEST_SSHD_NEEDS)('oracles on a lab target over SSH', () => {
  let sshd: TestSshd;
  let session: LabSession;
  let workDir: string;
  beforeAll(async () => {
    sshd = await startTestSshd('target-lab');
    workDir = `${sshd.dir}/work`;
    session = new LabSession({ ...sshd.lab, workDir });
  });
  afterAll(async () => {
    session?.disconnect();
    await sshd?.stop();
  });

  const signal = new AbortController().signal;
  const measure = async (spec: OracleSpec, release = hostRelease()) => {
    const target = labTarget(session);
    const oracle = await oracleFor(spec, { target, cacheDir: sshd.dir });
    return oracle.measure({ commit: 'c'.repeat(40), dir: target.workDir, signal, release });
  };

  it('runs a command in workDir with its files, and keeps git bisect run exit codes', async () => {
    const files = [
      { path: 'tests/verdict.sh', content: '#!/bin/sh\nexit "$(cat answer)"\n', mode: 0o755 },
      { path: 'answer', content: '3\n' },
    ];
    const bad = await measure({ kind: 'command', command: './tests/verdict.sh', files });
    expect(bad.exitCode).toBe(3);
    const skip = await measure({
      kind: 'command',
      command: './tests/verdict.sh',
      files: [files[0] as (typeof files)[0], { path: 'answer', content: '125\n' }],
    });
    expect(skip.exitCode).toBe(125);
    const good = await measure({
      kind: 'command',
      command: `test "$PWD" = ${workDir} && test -x tests/verdict.sh && test "\${#KBISECT_COMMIT}" = 40`,
    });
    // Run in the lab's workDir, with the uploaded script and the commit in the environment.
    expect(good.exitCode).toBe(0);
  });

  it('reads the last number a metric prints, and fails a metric that exits non-zero', async () => {
    const sample = await measure({
      kind: 'metric',
      command: './rate.sh',
      files: [
        {
          path: 'rate.sh',
          content: '#!/bin/sh\necho "rate: 12.5 ops, took 2 s"\necho 4321.5 ops/s\n',
          mode: 0o755,
        },
      ],
    });
    expect(sample.value).toBe(4321.5);
    const failed = await measure({ kind: 'metric', command: 'echo 7; exit 2' }).catch((e) => e);
    expect(failed).toBeInstanceOf(OracleFailed);
    expect((failed as Error).message).toBe('metric command failed with exit code 2');
    const silent = await measure({ kind: 'metric', command: 'echo none' }).catch((e) => e);
    expect((silent as Error).message).toBe('metric command printed no number on stdout');
  });

  it('proves the kernel before every sample: another release is an OracleFailed naming both', async () => {
    for (const spec of [
      { kind: 'command', command: 'true' },
      { kind: 'metric', command: 'echo 1' },
    ] as OracleSpec[]) {
      const error = await measure(spec, '6.1.0-kb-not-this-one').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OracleFailed);
      expect((error as Error).message).toBe(
        `kernel proof on lab target-lab: it runs ${hostRelease()}, not the built 6.1.0-kb-not-this-one`,
      );
    }
  });

  it('passes the oracle its own variables only, never the worker environment', async () => {
    process.env.KBISECT_TEST_WORKER_SECRET = 'from-the-worker';
    try {
      const sample = await measure({
        kind: 'command',
        command: 'test -z "$KBISECT_TEST_WORKER_SECRET" && test -n "$KBISECT_COMMIT"',
      });
      expect(sample.exitCode).toBe(0);
    } finally {
      delete process.env.KBISECT_TEST_WORKER_SECRET;
    }
  });
});
