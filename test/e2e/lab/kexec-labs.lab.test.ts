import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KernelArtifact } from '@kbisect/build';
import { OracleFailed } from '@kbisect/core';
import { LabSession } from '@kbisect/lab';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KexecLabs } from '../../../apps/worker/src/lab-test/kexec-labs.js';
import { Oracles } from '../../../apps/worker/src/lab-test/oracles.js';
import { deleteKeys, TEST_REDIS_URL, uniquePrefix } from '../../support/test-redis.js';
import type { RunningLabVm } from '../lab-vm.js';
import { labVmWithKernels } from './lab-vm-kernels.js';

const signal = new AbortController().signal;
const oracle = { kind: 'splice-loopback' as const };
const oracles = new Oracles(join(tmpdir(), 'kbisect-splice-bench'));

/** The worker's lab-test side of a kernel bisect (KexecLabs) against the QEMU lab VM. */
describe('KexecLabs on the QEMU lab VM', () => {
  let vm: RunningLabVm;
  let redis: Redis;
  let labs: KexecLabs;
  let good: KernelArtifact;
  let culprit: KernelArtifact;
  const prefix = uniquePrefix('kexec-labs');
  // Built on this host: KexecLabs deploys the file itself, nothing comes from Redis.
  const artifact = (image: string, release: string) => {
    const bytes = readFileSync(image);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    return { host: hostname(), kernel: { image, release, sha256, size: bytes.length } };
  };

  beforeAll(async () => {
    ({ vm, good, culprit } = await labVmWithKernels());
    redis = new Redis(TEST_REDIS_URL);
    labs = new KexecLabs({
      labs: new Map([[vm.config.name, vm.config]]),
      redis,
      prefix,
      oracles,
      log: pino({ level: 'silent' }),
    });
  });

  afterAll(async () => {
    labs?.close();
    await vm?.stop();
    await deleteKeys(TEST_REDIS_URL, prefix);
    redis?.disconnect();
  });

  it('boots a kernel once, then takes further samples without booting again', async () => {
    const kernel = artifact(culprit.image as string, culprit.release as string);
    const first = await labs.measure({ name: vm.config.name }, 'c1', kernel, oracle, signal);
    expect(first.deployment?.release).toBe(culprit.release);
    expect(first.sample.detail?.deployment).toBeDefined();
    expect(first.sample.detail?.lab).toBe(vm.config.name);
    // Through its pool the VM is the only lab: it runs the kernel already, no new boot.
    const second = await labs.measure({ pool: vm.config.pool }, 'c1', kernel, oracle, signal);
    expect(second.deployment).toBeUndefined();
    expect(second.sample.detail?.kernel).toBe(culprit.release);
    expect(second.sample.detail?.lab).toBe(vm.config.name);
  });

  it('runs command and metric oracles with their files on the booted kernel', async () => {
    const kernel = artifact(culprit.image as string, culprit.release as string);
    // The script answers from the lab itself: it passes only on the kernel it was given.
    const files = [
      {
        path: 'on-kernel.sh',
        content: `#!/bin/sh\ntest "$(uname -r)" = "$(cat want)" || exit 1\ncat /proc/uptime\n`,
        mode: 0o755,
      },
      { path: 'want', content: `${culprit.release}\n` },
    ];
    const command = await labs.measure(
      { name: vm.config.name },
      'c5',
      kernel,
      { kind: 'command', command: './on-kernel.sh', files },
      signal,
    );
    expect(command.sample.exitCode).toBe(0);
    expect(command.sample.detail?.kernel).toBe(culprit.release);
    const metric = await labs.measure(
      { name: vm.config.name },
      'c5',
      kernel,
      { kind: 'metric', command: './on-kernel.sh | cut -d" " -f1', files },
      signal,
    );
    expect(metric.sample.value).toBeGreaterThan(0);
  });

  it('turns a kernel that boots as something else into a boot failure, after a power cycle', async () => {
    const error = await labs
      .measure(
        { name: vm.config.name },
        'c2',
        artifact(good.image as string, 'not-this-release'),
        oracle,
        signal,
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OracleFailed);
    expect((error as OracleFailed).message).toMatch(/^boot failed: /);
    expect((error as OracleFailed).reason).toBe('boot-failed');
    const session = new LabSession(vm.config);
    try {
      // The power cycle brought the lab back on its default kernel, the good one.
      expect(await session.release()).toBe(good.release);
    } finally {
      session.disconnect();
    }
  });

  it('checks a lab its previous holder left mid-test: a hung lab is power-cycled, then used', async () => {
    const name = vm.config.name;
    // A worker died holding the lab while the lab hung: its in-use marker is left behind, and
    // this test's own QEMU (by the pid it wrote) is frozen, so SSH accepts and never answers.
    await redis.set(`${prefix}:lab:${name}:in-use`, 'lab-test@dead-host:1:00000000');
    const pidFile = join(vm.dir, 'qemu.pid');
    const frozen = Number(readFileSync(pidFile, 'utf8').trim());
    process.kill(frozen, 'SIGSTOP');
    const impatient = new KexecLabs({
      labs: new Map([[name, { ...vm.config, bootTimeoutSeconds: 20 }]]),
      redis,
      prefix,
      oracles,
      log: pino({ level: 'silent' }),
    });
    try {
      const kernel = artifact(good.image as string, good.release as string);
      const measured = await impatient.measure({ name }, 'c4', kernel, oracle, signal);
      // Power-cycled (a new QEMU), back on its default kernel, measured, released cleanly.
      expect(Number(readFileSync(pidFile, 'utf8').trim())).not.toBe(frozen);
      expect(measured.sample.detail?.kernel).toBe(good.release);
      expect(await redis.get(`${prefix}:lab:${name}:in-use`)).toBeNull();
    } finally {
      impatient.close();
      try {
        process.kill(frozen, 'SIGCONT');
      } catch {
        // Already gone: the power cycle stopped it.
      }
    }
  });

  it('turns an image kexec -l refuses into a boot failure without a reboot', async () => {
    const garbage = join(tmpdir(), 'kbisect-not-a-kernel-2');
    writeFileSync(garbage, 'not a kernel image\n'.repeat(100));
    const error = await labs
      .measure({ name: vm.config.name }, 'c3', artifact(garbage, 'never'), oracle, signal)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OracleFailed);
    expect((error as OracleFailed).reason).toBe('boot-failed');
  });
});
