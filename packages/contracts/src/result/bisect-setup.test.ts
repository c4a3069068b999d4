import Value from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { BisectSetup, bisectSetupOf } from './bisect-setup.js';

describe('bisectSetupOf', () => {
  it('says what a kernel bisect on a lab pool runs: config, fragments, arch, compiler, oracle', () => {
    const setup = bisectSetupOf({
      repo: 'https://ci:hunter2@git.example.org/linux.git',
      good: ['v3.6', 'v3.5.7'],
      bad: 'v3.7',
      build: {
        kernel: {
          config: { defconfig: 'x86_64_defconfig', fragments: ['/etc/kbisect/kvm.config'] },
          arch: 'x86_64',
          cc: 'clang',
        },
      },
      lab: { pool: 'vm' },
      bootFailure: 'bad',
      oracle: { kind: 'splice-loopback', args: '--pattern rr --mtu 16384', measure: 'stalls' },
      decision: { alpha: 0.05, samples: 5 },
    });

    expect(setup).toEqual({
      repository: 'https://ci:***@git.example.org/linux.git',
      range: 'v3.6 v3.5.7..v3.7',
      build:
        'kernel: make x86_64_defconfig + fragments /etc/kbisect/kvm.config; arch x86_64; cc clang',
      lab: 'pool vm; a kernel that does not boot is bad',
      oracle: 'splice-loopback --pattern rr --mtu 16384 (measure stalls)',
      decision:
        'Mann-Whitney U, lower-is-better; calibration up to 40 runs of each endpoint at alpha 0.05, ' +
        'min effect 2%; 5 to 40 runs a commit, verdict at p <= 0.001 or, far from both baselines, ' +
        'likelihood ratio >= 1000',
    });
    expect(Value.Check(BisectSetup, setup)).toBe(true);
  });

  it('names exit-code and threshold decisions as they are made', () => {
    const base = { repo: '/srv/repo', good: 'v1', bad: 'main' };
    expect(
      bisectSetupOf({ ...base, oracle: { kind: 'command', command: './t.sh' } }),
    ).toMatchObject({
      build: 'none (the oracle runs in the checked-out tree)',
      lab: 'local (the worker host)',
      oracle: 'command: ./t.sh',
      decision: 'exit code: 0 good, 125 skip, 1-127 bad',
    });
    expect(
      bisectSetupOf({
        ...base,
        build: { command: 'make -s' },
        oracle: { kind: 'metric', command: './bench' },
        decision: { threshold: 12.5, direction: 'lower-is-better' },
      }).decision,
    ).toBe('threshold 12.5, lower-is-better, 1 sample(s) a commit');
  });
});
