import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, release as hostRelease, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '@kbisect/config';
import type { LabTestJob, LabTestJobResult } from '@kbisect/contracts';
import { startTestSshd, TEST_SSHD_NEEDS, type TestSshd } from '@kbisect/lab/testing';
import type { OracleSpec } from '@kbisect/oracle';
import { createStores, EventStream, keys, serviceLogger } from '@kbisect/queue';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNeeding } from '../../../../test/support/requirements.js';
import {
  connectTestRedis,
  deleteKeys,
  TEST_REDIS_URL,
  testRedis,
  uniquePrefix,
} from '../../../../test/support/test-redis.js';
import { Interrupts } from '../interrupts.js';
import { KexecLabs } from './kexec-labs.js';
import { labTestProcessor } from './lab-test-processor.js';
import { Oracles } from './oracles.js';

const prefix = uniquePrefix('kexec-sshd');

/**
 * KexecLabs on a lab that is a real sshd on loopback. The "lab" is this machine, so it already
 * runs a kernel whose release is this host's: the test's kernel says exactly that release, and
 * KexecLabs leases, proves and hands the lab to the oracle factory without a kexec. A kernel
 * of another release makes it try a deploy, which stops at the guard against this machine
 * (and the sshd's own gate refuses kexec): its log line is what is checked there.
 */
describeNeeding(...TEST_SSHD_NEEDS, await testRedis())(
  'KexecLabs runs any oracle on a lab over SSH',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'kbisect-kexec-sshd-'));
    const signal = new AbortController().signal;
    const lines: string[] = [];
    let sshd: TestSshd;
    let redis: Redis;
    let labs: KexecLabs;
    let events: EventStream;
    let log: ReturnType<typeof serviceLogger>;

    const kernel = (release: string) => {
      const image = join(dir, `bzImage-${release}`);
      writeFileSync(image, `not really a kernel: ${release}\n`);
      const bytes = Buffer.from(`not really a kernel: ${release}\n`);
      return {
        host: hostname(),
        kernel: {
          image,
          release,
          sha256: createHash('sha256').update(bytes).digest('hex'),
          size: bytes.length,
        },
      };
    };

    beforeAll(async () => {
      sshd = await startTestSshd('sshd-lab');
      redis = connectTestRedis();
      events = new EventStream(redis, keys(prefix), 1000);
      log = serviceLogger({
        level: 'info',
        component: 'worker',
        events,
        destination: new Writable({
          write(chunk, _encoding, done) {
            lines.push(String(chunk));
            done();
          },
        }),
      });
      labs = new KexecLabs({
        labs: new Map([['sshd-lab', { ...sshd.lab, workDir: join(sshd.dir, 'work') }]]),
        redis,
        prefix,
        oracles: new Oracles(dir),
        leaseWaitMs: 5000,
        log: pino({ level: 'silent' }),
      });
    }, 30_000);

    afterAll(async () => {
      labs?.close();
      await sshd?.stop();
      await deleteKeys(TEST_REDIS_URL, prefix);
      redis?.disconnect();
      rmSync(dir, { recursive: true, force: true });
    });

    const measure = (oracle: OracleSpec, bisectId: string, release = hostRelease()) =>
      labs.measure(
        { name: 'sshd-lab' },
        'a'.repeat(40),
        kernel(release),
        oracle,
        signal,
        log.child({ bisectId, commit: 'a'.repeat(40), step: 'test' }),
      );

    const logOf = async (bisectId: string) =>
      (await events.range(bisectId))
        .filter((event) => event.type === 'log')
        .map((event) => event.data as { msg: string; bisectId: string; lab?: string });

    it('runs a command oracle with its files in the lab workDir, with exit-code rules', async () => {
      const bisectId = `b-cmd-${randomBytes(3).toString('hex')}`;
      const measured = await measure(
        {
          kind: 'command',
          command: './stall-check.sh',
          files: [{ path: 'stall-check.sh', content: '#!/bin/sh\nexit 1\n', mode: 0o755 }],
        },
        bisectId,
      );
      expect(measured.sample.exitCode).toBe(1);
      expect(measured.sample.detail).toMatchObject({ lab: 'sshd-lab', kernel: hostRelease() });
      expect(measured.deployment).toBeUndefined();
      expect(measured.quantity).toBeUndefined();
      // The line of the sample reached the bisect's event stream, with its bisectId and lab.
      const logged = await logOf(bisectId);
      expect(logged).toContainEqual(
        expect.objectContaining({
          bisectId,
          lab: 'sshd-lab',
          msg: `command: ./stall-check.sh on sshd-lab (${hostRelease()}): exit 1 in ${measured.sample.seconds.toFixed(1)} s`,
        }),
      );
    }, 30_000);

    it('runs a metric oracle on the lab and reads its number', async () => {
      const measured = await measure(
        { kind: 'metric', command: 'echo "transfer: 42.5 MB/s"' },
        `b-metric-${randomBytes(3).toString('hex')}`,
      );
      expect(measured.sample.value).toBe(42.5);
      expect(measured.quantity).toEqual({ metric: 'metric' });
    }, 30_000);

    it('logs the kexec of a new kernel into the bisect event stream before deploying', async () => {
      const bisectId = `b-kexec-${randomBytes(3).toString('hex')}`;
      const error = await measure(
        { kind: 'command', command: 'true' },
        bisectId,
        '6.1.0-kb-abc',
      ).catch((e: unknown) => e);
      // The lab is this machine: the deploy refuses it before any kexec.
      expect((error as Error).name).toBe('LabIsThisMachine');
      const logged = await logOf(bisectId);
      expect(logged).toContainEqual(
        expect.objectContaining({
          bisectId,
          lab: 'sshd-lab',
          msg: `kexec 6.1.0-kb-abc on sshd-lab: uploading (it runs ${hostRelease()})`,
        }),
      );
      expect(lines.some((line) => line.includes(`"bisectId":"${bisectId}"`))).toBe(true);
    }, 30_000);

    it('passes the job logger from the lab-test processor: its lab lines reach the bisect', async () => {
      const stores = createStores(
        redis,
        await loadConfig({ env: { KBISECT_REDIS_PREFIX: prefix } }),
      );
      const bisectId = `b-job-${randomBytes(3).toString('hex')}`;
      const commit = 'b'.repeat(40);
      await stores.bisects.create({
        id: bisectId,
        status: 'running',
        spec: { repo: '/src', good: 'v1', bad: 'v2', oracle: { kind: 'metric', command: 'true' } },
        range: { bad: commit, goods: [commit], firstParent: false, commits: 1 },
        submittedBy: 'ci',
        createdAt: new Date().toISOString(),
      });
      const processor = labTestProcessor({
        stores,
        oracles: new Oracles(dir),
        interrupts: new Interrupts(),
        kexecLabs: labs,
        log,
      });
      const data: LabTestJob = {
        owner: { bisectId },
        commit,
        lab: { name: 'sshd-lab' },
        oracle: { kind: 'metric', command: 'echo 17 txn/s' },
        artifact: { ...kernel(hostRelease()), worktree: '/nonexistent' },
        sampleIndex: 0,
      };
      const result = await processor({ id: `${bisectId}.s0`, data } as Job<
        LabTestJob,
        LabTestJobResult
      >);
      expect(result).toMatchObject({ kind: 'sample', sample: { value: 17 } });
      expect(await logOf(bisectId)).toContainEqual(
        expect.objectContaining({
          bisectId,
          commit,
          lab: 'sshd-lab',
          msg: expect.stringMatching(/^metric: echo 17 txn\/s on sshd-lab \(.+\): 17 in /),
        }),
      );
    }, 30_000);
  },
);
