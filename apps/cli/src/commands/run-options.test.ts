import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { specFromRunOptions } from '../service/spec-from-options.js';
import { bisectFlagsOf } from '../testing/bisect-flags.js';
import { UsageError } from '../usage-error.js';
import { localRunOptions, parseRunFlags, parseServiceRunFlags } from './run-options.js';

const flagsOf = (args: string[]) => bisectFlagsOf(args);

describe('--boot-failure', () => {
  it('is skip or bad, and absent by default', () => {
    expect(parseRunFlags(flagsOf([])).bootFailure).toBeUndefined();
    expect(parseRunFlags(flagsOf(['--boot-failure', 'bad'])).bootFailure).toBe('bad');
    expect(parseRunFlags(flagsOf(['--boot-failure', 'skip'])).bootFailure).toBe('skip');
    expect(() => parseRunFlags(flagsOf(['--boot-failure', 'good']))).toThrow(
      new UsageError("--boot-failure 'good': expected skip or bad"),
    );
  });

  it('is refused by kbisect run, which boots no kernel, and says where it applies', () => {
    const options = parseRunFlags(flagsOf(['--boot-failure', 'bad']));
    expect(() => localRunOptions(options)).toThrow(UsageError);
    expect(() => localRunOptions(options)).toThrow(/kbisect start --lab/);
    const plain = parseRunFlags(flagsOf([]));
    expect(localRunOptions(plain)).toBe(plain);
  });

  it('reaches the spec kbisect start sends, with a named lab or a pool', () => {
    const options = parseRunFlags(flagsOf(['--boot-failure', 'bad']));
    const onPool = specFromRunOptions(options, { labels: {}, lab: 'pool:x86-perf' });
    expect(onPool.lab).toEqual({ pool: 'x86-perf' });
    expect(onPool.bootFailure).toBe('bad');
    const byDefault = specFromRunOptions(parseRunFlags(flagsOf([])), {
      labels: {},
      lab: 'rack3-node7',
    });
    expect(byDefault.lab).toEqual({ name: 'rack3-node7' });
    expect(byDefault).not.toHaveProperty('bootFailure');
  });
});

describe('--splice-measure', () => {
  it('is absent by default: the rate, higher is better, as before the flag existed', () => {
    const options = parseRunFlags(flagsOf([]));
    expect(options.oracle).toEqual({ kind: 'splice-loopback' });
    expect(options.direction).toBe('higher-is-better');
    expect(specFromRunOptions(options, { labels: {} }).oracle).not.toHaveProperty('measure');
  });

  it('stalls: measures stalled time and decides lower-is-better by itself', () => {
    const options = parseRunFlags(flagsOf(['--splice-measure', 'stalls']));
    expect(options.oracle).toEqual({ kind: 'splice-loopback', measure: 'stalls' });
    expect(options.direction).toBe('lower-is-better');
    const spec = specFromRunOptions(options, { labels: {} });
    expect(spec.oracle).toMatchObject({ kind: 'splice-loopback', measure: 'stalls' });
    expect(spec.decision?.direction).toBe('lower-is-better');
    // Saying what the measure implies is allowed, only a contradiction is not.
    const said = parseRunFlags(flagsOf(['--splice-measure', 'stalls', '--lower-is-better']));
    expect(said.direction).toBe('lower-is-better');
  });

  it('refuses a direction flag that contradicts the measure, naming both flags', () => {
    expect(() =>
      parseRunFlags(flagsOf(['--splice-measure', 'stalls', '--higher-is-better'])),
    ).toThrow(
      new UsageError(
        '--higher-is-better contradicts --splice-measure stalls: stalled time is ' +
          'lower-is-better, which --splice-measure stalls sets by itself; drop --higher-is-better',
      ),
    );
    expect(() => parseRunFlags(flagsOf(['--lower-is-better']))).toThrow(
      /--lower-is-better contradicts --oracle splice-loopback, whose rate .* is higher-is-better; .*--splice-measure stalls/,
    );
    expect(() => parseRunFlags(flagsOf(['--splice-measure', 'rate', '--lower-is-better']))).toThrow(
      UsageError,
    );
  });

  it('refuses an unknown measure, and a measure for another oracle', () => {
    expect(() => parseRunFlags(flagsOf(['--splice-measure', 'latency']))).toThrow(
      new UsageError("--splice-measure 'latency': expected rate or stalls"),
    );
    expect(() =>
      parseRunFlags(flagsOf(['--oracle', "metric:'./lbench'", '--splice-measure', 'stalls'])),
    ).toThrow(/--splice-measure applies to --oracle splice-loopback only, not to a metric oracle/);
  });

  it('leaves the direction flags alone for the other oracles', () => {
    const options = parseRunFlags(flagsOf(['--oracle', "metric:'./lbench'", '--lower-is-better']));
    expect(options.direction).toBe('lower-is-better');
  });
});

describe('--oracle-file', () => {
  it('carries each file in the spec under its base name, with its permission bits', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kbisect-oracle-file-'));
    try {
      const script = join(dir, 'stall-check.sh');
      writeFileSync(script, '#!/bin/sh\nexit 0\n', { mode: 0o750 });
      chmodSync(script, 0o750);
      writeFileSync(join(dir, 'input.txt'), 'data\n');
      const options = parseRunFlags(
        flagsOf([
          '--oracle',
          'command:./stall-check.sh',
          '--oracle-file',
          script,
          '--oracle-file',
          join(dir, 'input.txt'),
        ]),
      );
      expect(specFromRunOptions(options, { labels: {}, lab: 'vm-a' }).oracle).toMatchObject({
        kind: 'command',
        command: './stall-check.sh',
        files: [
          { path: 'stall-check.sh', content: '#!/bin/sh\nexit 0\n', mode: 0o750 },
          { path: 'input.txt', content: 'data\n', mode: 0o644 },
        ],
      });
      expect(() =>
        parseRunFlags(flagsOf(['--oracle', 'splice-loopback', '--oracle-file', script])),
      ).toThrow(new UsageError('--oracle-file applies to command: and metric: oracles only'));
      expect(() =>
        parseRunFlags(flagsOf(['--oracle', 'metric:x', '--oracle-file', join(dir, 'none')])),
      ).toThrow(/--oracle-file .*none: ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('--recipe (kbisect start, watch add)', () => {
  const withRecipe = (args: string[]) => {
    const { oracle: _splice, ...flags } = flagsOf(args);
    return flags;
  };

  it('sends the recipe and the decision, and neither build nor oracle', () => {
    const options = parseServiceRunFlags(withRecipe(['--recipe', 'splice-x86', '--samples', '5']));
    const spec = specFromRunOptions(options, { labels: {}, lab: 'rack1' });
    expect(spec).toMatchObject({ recipe: 'splice-x86', lab: { name: 'rack1' } });
    expect(spec).not.toHaveProperty('oracle');
    expect(spec).not.toHaveProperty('build');
    // No direction unless a flag gives one: the recipe's oracle may imply its own.
    expect(spec.decision).toEqual({ calibrationSamples: 40, samples: 5 });
    const lower = parseServiceRunFlags(withRecipe(['--recipe', 'r', '--lower-is-better']));
    expect(specFromRunOptions(lower, { labels: {} }).decision?.direction).toBe('lower-is-better');
  });

  it('refuses a build or an oracle beside it, naming them', () => {
    expect(() =>
      parseServiceRunFlags({
        ...withRecipe(['--recipe', 'r', '--build', 'make']),
        oracle: 'command:true',
      }),
    ).toThrow(new UsageError('--recipe r brings the build and the oracle: drop --oracle, --build'));
  });

  it('is no way around the oracle for kbisect run', () => {
    expect(() => parseRunFlags(withRecipe(['--recipe', 'r']))).toThrow(/--oracle is required/);
  });
});

describe('--parallel-tests', () => {
  it('is one option of run and start: absent by default, a whole number 1 to 64', () => {
    expect(parseRunFlags(flagsOf([])).parallelTests).toBeUndefined();
    expect(parseRunFlags(flagsOf(['--parallel-tests', '3'])).parallelTests).toBe(3);
    for (const bad of ['0', '65', '2.5', 'two']) {
      expect(() => parseRunFlags(flagsOf(['--parallel-tests', bad]))).toThrow(
        new UsageError(`--parallel-tests '${bad}': expected a whole number of commits, 1 to 64`),
      );
    }
  });

  it('reaches the spec kbisect start sends, and is left out when not given', () => {
    const options = parseServiceRunFlags(flagsOf(['--parallel-tests', '4']));
    expect(specFromRunOptions(options, { labels: {}, lab: 'pool:x86' }).parallelTests).toBe(4);
    const plain = specFromRunOptions(parseRunFlags(flagsOf([])), { labels: {} });
    expect(plain).not.toHaveProperty('parallelTests');
  });
});
