import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRunFlags, type RunFlags } from '../commands/run-options.js';
import { bisectFlagsOf } from '../testing/bisect-flags.js';
import { UsageError } from '../usage-error.js';
import { addKernelBuildOptions, type KernelFlags, kernelBuildRequestOf } from './kernel-flags.js';
import { specFromRunOptions } from './spec-from-options.js';

const dir = mkdtempSync(join(tmpdir(), 'kbisect-kernel-flags-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fragment = join(dir, 'lab.config');
writeFileSync(fragment, 'CONFIG_KEXEC=y\n');

/** The flags commander hands to `start` (bisect plus kernel build options). */
const flagsOf = (args: string[]) =>
  bisectFlagsOf<RunFlags & KernelFlags>(args, addKernelBuildOptions);

describe('kbisect start kernel build flags', () => {
  it('become the spec build.kernel, with absolute fragment paths and the toolchain', () => {
    const flags = flagsOf([
      '--defconfig',
      'tinyconfig',
      '--config-fragment',
      fragment,
      '--make-target',
      'bzImage',
      '--make-target',
      'modules',
      '--make-var',
      'KCFLAGS=-Wno-error -O2',
      '--cc',
      'clang',
      '--build-timeout',
      '1800',
    ]);
    const run = parseRunFlags(flags);
    const kernel = kernelBuildRequestOf(flags, run.buildTimeoutMs / 1000);
    const spec = specFromRunOptions(run, {
      labels: {},
      lab: 'rack3',
      ...(kernel ? { kernel } : {}),
    });
    expect(spec.build).toEqual({
      kernel: {
        config: { defconfig: 'tinyconfig', fragments: [fragment] },
        targets: ['bzImage', 'modules'],
        makeVars: { KCFLAGS: '-Wno-error -O2' },
        cc: 'clang',
        timeoutSeconds: 1800,
      },
    });
    expect(spec.lab).toEqual({ name: 'rack3' });
  });

  it('are absent unless given: the spec keeps a command build', () => {
    const flags = flagsOf(['--build', 'make']);
    expect(kernelBuildRequestOf(flags, 60)).toBeUndefined();
    expect(specFromRunOptions(parseRunFlags(flags), { labels: {} }).build).toEqual({
      command: 'make',
      timeoutSeconds: 3600,
    });
  });

  it('refuse what cannot be built, saying which flags', () => {
    expect(() => kernelBuildRequestOf(flagsOf(['--arch', 'arm64']), 60)).toThrow(
      new UsageError('a kernel build needs --kernel-config FILE or --defconfig TARGET'),
    );
    expect(() =>
      kernelBuildRequestOf(flagsOf(['--defconfig', 'defconfig', '--kernel-config', fragment]), 60),
    ).toThrow(/exclude each other/);
    expect(() =>
      kernelBuildRequestOf(
        flagsOf(['--defconfig', 'defconfig', '--config-fragment', '/no/such']),
        60,
      ),
    ).toThrow("--config-fragment '/no/such': no such file");
    expect(() => flagsOf(['--make-var', 'KCFLAGS'])).toThrow(/expected NAME=VALUE/);
    const both = flagsOf(['--build', 'make', '--defconfig', 'defconfig']);
    const kernel = kernelBuildRequestOf(both, 60);
    expect(() =>
      specFromRunOptions(parseRunFlags(both), { labels: {}, ...(kernel ? { kernel } : {}) }),
    ).toThrow(/--build and the kernel build flags/);
  });
});
