import { describe, expect, it } from 'vitest';
import type { BisectSpec } from './spec/bisect-spec.js';
import { kernelBuildOf } from './spec-to-env.js';

const base: BisectSpec = {
  repo: '/src/linux',
  good: 'v6.0',
  bad: 'v6.1',
  oracle: { kind: 'splice-loopback' },
};

describe('kernelBuildOf', () => {
  it('hands the toolchain and make variables of the spec to the build job', () => {
    const job = kernelBuildOf({
      ...base,
      build: {
        kernel: {
          config: { defconfig: 'defconfig', fragments: ['/cfg/lab.config'] },
          arch: 'arm64',
          targets: ['Image', 'modules'],
          makeVars: { KCFLAGS: '-Wno-error' },
          cc: 'clang',
          crossCompile: 'aarch64-linux-gnu-',
          timeoutSeconds: 600,
        },
      },
    });
    expect(job).toEqual({
      config: { kind: 'defconfig', target: 'defconfig', fragments: ['/cfg/lab.config'] },
      arch: 'arm64',
      targets: ['Image', 'modules'],
      makeVars: { KCFLAGS: '-Wno-error' },
      cc: 'clang',
      crossCompile: 'aarch64-linux-gnu-',
      timeoutMs: 600_000,
    });
  });

  it('reads a config file path and leaves unset fields to the builder defaults', () => {
    const job = kernelBuildOf({ ...base, build: { kernel: { config: '/cfg/.config' } } });
    expect(job).toEqual({ config: { kind: 'file', path: '/cfg/.config' }, timeoutMs: 3_600_000 });
  });

  it('is undefined for a command build', () => {
    expect(kernelBuildOf({ ...base, build: { command: 'make' } })).toBeUndefined();
  });
});
