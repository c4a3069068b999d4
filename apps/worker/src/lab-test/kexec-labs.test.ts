import { tmpdir } from 'node:os';
import type { LabConfig } from '@kbisect/lab/config';
import { UnrecoverableError } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { KexecLabs } from './kexec-labs.js';
import { Oracles } from './oracles.js';

const lab = (name: string, pool: string): LabConfig => ({
  name,
  host: '127.0.0.1',
  port: 2222,
  user: 'root',
  hostKeyFingerprint: 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s',
  pool,
  arch: 'x86_64',
  bootTimeoutSeconds: 120,
  sharesBuildHost: true,
});

/** Which lab-test jobs this worker takes: routing needs no lab and no Redis round trip. */
describe('KexecLabs routing', () => {
  const redis = new Redis({ lazyConnect: true });
  afterAll(() => redis.disconnect());
  const labs = new KexecLabs({
    labs: new Map([
      ['rack3-node7', lab('rack3-node7', 'x86-perf')],
      ['rack3-node8', lab('rack3-node8', 'x86-perf')],
      ['vm-a', lab('vm-a', 'default')],
    ]),
    redis,
    prefix: 'kbisect-routing-test',
    oracles: new Oracles(tmpdir()),
    log: pino({ level: 'silent' }),
  });

  it('serves its named labs and the pools they are in, nothing else', () => {
    expect(labs.serves({ name: 'rack3-node8' })).toBe(true);
    expect(labs.serves({ pool: 'x86-perf' })).toBe(true);
    expect(labs.serves({ pool: 'default' })).toBe(true);
    expect(labs.serves({ name: 'rack9' })).toBe(false);
    expect(labs.serves({ pool: 'arm64' })).toBe(false);
    // A pool is matched by its name only, never by a lab's name.
    expect(labs.serves({ pool: 'vm-a' })).toBe(false);
  });

  it('fails a job for a pool it has no lab of, for good: a retry here cannot help', async () => {
    const error = await labs
      .measure(
        { pool: 'arm64' },
        'c'.repeat(40),
        { host: 'here' },
        { kind: 'command', command: 'true' },
        new AbortController().signal,
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect((error as Error).message).toMatch(/lab \{"pool":"arm64"\} is not served by this worker/);
  });
});
