import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OracleFailed } from '@kbisect/core';
import { afterAll, describe, expect, it } from 'vitest';
import { OracleSpecInvalid } from './errors/oracle-spec-invalid.js';
import { oracleFor } from './oracle-for.js';
import { oracleSpecProblems, parseOracleText } from './oracle-spec.js';
import { localTarget } from './oracle-target.js';

const work = mkdtempSync(join(tmpdir(), 'kbisect-oracle-for-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const target = localTarget();
const signal = new AbortController().signal;
const commit = 'c'.repeat(40);

describe('oracleFor on the worker host', () => {
  it('writes the spec files into the directory before the sample, with their mode', async () => {
    const dir = join(work, 'worktree');
    mkdirSync(dir);
    const oracle = await oracleFor(
      {
        kind: 'command',
        command: './tests/check.sh',
        files: [
          {
            path: 'tests/check.sh',
            content: '#!/bin/sh\nexit "$(cat tests/answer)"\n',
            mode: 0o755,
          },
          { path: 'tests/answer', content: '125\n' },
        ],
      },
      { target, cacheDir: work },
    );
    const sample = await oracle.measure({ commit, dir, signal });
    expect(sample.exitCode).toBe(125);
    expect(statSync(join(dir, 'tests/check.sh')).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(dir, 'tests/answer'), 'utf8')).toBe('125\n');
  });

  it('never writes through a symlink of the worktree out of it', async () => {
    const dir = join(work, 'hostile');
    const outside = join(work, 'outside');
    mkdirSync(dir);
    mkdirSync(outside);
    symlinkSync(outside, join(dir, 'escape'));
    const oracle = await oracleFor(
      { kind: 'command', command: 'true', files: [{ path: 'escape/planted', content: 'x' }] },
      { target, cacheDir: work },
    );
    await expect(oracle.measure({ commit, dir, signal })).rejects.toThrow(/resolves outside/);
    expect(() => statSync(join(outside, 'planted'))).toThrow();
  });

  it('proves the kernel when the context names one, even on this host', async () => {
    const oracle = await oracleFor(
      { kind: 'metric', command: 'echo 1' },
      { target, cacheDir: work },
    );
    const error = await oracle
      .measure({ commit, dir: work, signal, release: 'not-this-release' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OracleFailed);
    expect((error as Error).message).toMatch(
      /^kernel proof on this host: it runs .+, not the built not-this-release$/,
    );
  });

  it('refuses files that leave their directory, naming the field', async () => {
    const spec = {
      kind: 'metric' as const,
      command: 'true',
      files: [
        { path: 'ok.sh', content: '' },
        { path: '../up.sh', content: '' },
        { path: '/etc/cron.d/x', content: '' },
        { path: 'ok.sh', content: '' },
      ],
    };
    expect(oracleSpecProblems(spec).map((p) => p.path)).toEqual([
      '/files/1/path',
      '/files/2/path',
      '/files/3/path',
    ]);
    await expect(oracleFor(spec, { target, cacheDir: work })).rejects.toBeInstanceOf(
      OracleSpecInvalid,
    );
  });

  it('parses the --oracle text of every kind in one place', () => {
    expect(parseOracleText("command:./t.sh 'a b'")).toEqual({
      kind: 'command',
      command: "./t.sh 'a b'",
    });
    expect(parseOracleText('metric:./rate')).toEqual({ kind: 'metric', command: './rate' });
    expect(parseOracleText('splice-loopback')).toEqual({ kind: 'splice-loopback' });
    expect(parseOracleText('splice-loopback:--mode send')).toEqual({
      kind: 'splice-loopback',
      args: '--mode send',
    });
    expect(() => parseOracleText('splice-loopback:--fast')).toThrow(/unknown flag --fast/);
    expect(() => parseOracleText('metric:')).toThrow(/metric needs a command/);
    expect(() => parseOracleText('magic:x')).toThrow(/unknown oracle kind 'magic'/);
  });
});
