import { describe, expect, it } from 'vitest';
import { HostFault, hostFaultOf } from './host-fault.js';
import { retryDelayMs } from './infrastructure-retry.js';

const policy = { retryFirstMs: 15_000, retryMaxMs: 300_000, retryForMs: 1_800_000, minFreeMb: 0 };

describe('the wait before a job that failed is tried again', () => {
  it('doubles from 15 s to 5 min for a full disk, and gives up once the waits pass 30 min', () => {
    const fault = new HostFault('ENOSPC', 'disk full', 'b1', 'No space left on device');
    const waits: number[] = [];
    for (let failures = 1; ; failures++) {
      const delay = retryDelayMs(failures, fault, policy);
      if (delay === undefined) break;
      waits.push(delay / 1000);
    }
    expect(waits).toEqual([15, 30, 60, 120, 240, 300, 300, 300, 300]);
    expect(waits.reduce((a, b) => a + b)).toBeLessThanOrEqual(1800);
  });

  it('treats an unreachable lab and a lost Redis connection as the infrastructure too', () => {
    const lab = Object.assign(new Error('lab vm1 did not answer on 10.0.0.2:22'), {
      name: 'LabUnreachable',
    });
    expect(retryDelayMs(5, lab, policy)).toBe(240_000);
    expect(retryDelayMs(5, new Error('Connection is closed.'), policy)).toBe(240_000);
  });

  it('tries any other error three times within seconds, as before', () => {
    const bug = new TypeError('cannot read properties of undefined');
    expect([1, 2, 3].map((n) => retryDelayMs(n, bug, policy))).toEqual([1000, 2000, undefined]);
  });
});

describe('a failure that is the build host’s, not the commit’s', () => {
  it('is recognised in an errno, in git’s words, and in a failed build’s output', () => {
    const enospc = Object.assign(new Error('write failed'), { code: 'ENOSPC' });
    expect(hostFaultOf({ error: enospc }, 'b1', '/tmp')?.message).toMatch(
      /^disk full on build host b1 \(ENOSPC\): .*MB free of .*MB in \/tmp/,
    );
    const git = new Error(
      'git worktree add: fatal: could not create work tree dir: Read-only file system',
    );
    expect(hostFaultOf({ error: git }, 'b1', '/tmp')?.code).toBe('EROFS');
    const make = 'cc -c main.c\nmain.o: No space left on device\nmake: *** [all] Error 1';
    expect(hostFaultOf({ buildOutput: make }, 'b1', '/tmp')?.code).toBe('ENOSPC');
  });

  it('is not claimed for a build that fails on its own, nor for permission errors in its output', () => {
    expect(
      hostFaultOf({ buildOutput: 'main.c:3: error: expected ;' }, 'b1', '/tmp'),
    ).toBeUndefined();
    expect(
      hostFaultOf({ buildOutput: './gen.sh: Permission denied' }, 'b1', '/tmp'),
    ).toBeUndefined();
    expect(hostFaultOf({ error: new Error('unknown revision') }, 'b1', '/tmp')).toBeUndefined();
  });
});
