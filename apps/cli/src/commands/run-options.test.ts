import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { specFromRunOptions } from '../service/spec-from-options.js';
import { UsageError } from '../usage-error.js';
import { addBisectOptions } from './bisect-options.js';
import { localRunOptions, parseRunFlags, type RunFlags } from './run-options.js';

/** The flags commander hands to `run` and `start` for these arguments. */
function flagsOf(args: string[]): RunFlags {
  let flags: RunFlags | undefined;
  addBisectOptions(new Command('run').exitOverride(), 'repo')
    .action((parsed: RunFlags) => {
      flags = parsed;
    })
    .parse(
      [
        '--repo',
        '/src/linux',
        '--good',
        'v6.1',
        '--bad',
        'v6.2',
        '--oracle',
        'splice-loopback',
      ].concat(args),
      { from: 'user' },
    );
  if (!flags) throw new Error('commander did not call the action');
  return { ...flags, logLevel: 'info', logFormat: 'pretty' };
}

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
