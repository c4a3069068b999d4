import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BisectSpec, bootFailureOf } from '@kbisect/contracts';
import Value from 'typebox/value';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigInvalid } from './errors/config-invalid.js';
import { labProblems, loadServiceLabs } from './service-labs.js';

const dir = mkdtempSync(join(tmpdir(), 'kbisect-labs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const labFile = (file: string, body: unknown) => {
  const path = join(dir, file);
  writeFileSync(path, JSON.stringify(body));
  return path;
};
const lab = (name: string) => ({
  name,
  host: '127.0.0.1',
  port: 2222,
  hostKeyFingerprint: 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s',
});

describe('loadServiceLabs', () => {
  it('reads the lab files by name', async () => {
    const labs = await loadServiceLabs({ labs: [labFile('a.json', lab('vm-a'))] });
    expect([...labs.keys()]).toEqual(['vm-a']);
    expect(labs.get('vm-a')?.port).toBe(2222);
  });

  it('reports every broken file and duplicate name at once', async () => {
    const error = await loadServiceLabs({
      labs: [
        labFile('b.json', lab('vm-b')),
        labFile('b2.json', lab('vm-b')),
        labFile('bad.json', { name: 'x' }),
        join(dir, 'missing.json'),
      ],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigInvalid);
    const { problems } = error as ConfigInvalid;
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/a second lab named vm-b/);
    expect(problems[1]).toMatch(/bad\.json/);
    expect(problems[2]).toMatch(/missing\.json/);
  });
});

describe('labProblems', () => {
  const configured = (name: string, pool: string) => ({
    ...lab(name),
    user: 'root',
    pool,
    arch: 'x86_64',
    bootTimeoutSeconds: 120,
    sharesBuildHost: false,
  });
  const labs = new Map([
    ['vm-a', configured('vm-a', 'p')],
    ['vm-b', configured('vm-b', 'p')],
    ['rack1', configured('rack1', 'x86-perf')],
  ]);
  const base: BisectSpec = {
    repo: '/src',
    good: 'v1',
    bad: 'v2',
    build: { kernel: { config: { defconfig: 'tinyconfig' } } },
    lab: { name: 'vm-a' },
    oracle: { kind: 'splice-loopback' },
  };
  const paths = (spec: BisectSpec) => labProblems(spec, labs).map((p) => `${p.path} ${p.message}`);

  it('serves a kernel build on a configured lab, and a command build on local', () => {
    expect(paths(base)).toEqual([]);
    expect(paths({ ...base, build: { command: 'make' }, lab: 'local' })).toEqual([]);
  });

  it('names an unknown lab and the configured ones', () => {
    expect(paths({ ...base, lab: { name: 'rack9' } })).toEqual([
      '/lab/name unknown lab "rack9": configured labs are "vm-a", "vm-b", "rack1"',
    ]);
  });

  it('refuses a kernel build without a lab and a lab without a kernel', () => {
    expect(paths({ ...base, lab: 'local' })[0]).toMatch(/^\/lab a kernel build needs a lab/);
    expect(paths({ ...base, build: { command: 'make' } })[0]).toMatch(/^\/build /);
    expect(paths({ ...base, lab: { pool: 'p' }, build: { command: 'make' } })[0]).toMatch(
      /^\/build /,
    );
  });

  it('serves every oracle kind on a lab', () => {
    expect(paths({ ...base, oracle: { kind: 'command', command: './stall.sh' } })).toEqual([]);
    expect(paths({ ...base, oracle: { kind: 'metric', command: './rate.sh' } })).toEqual([]);
    expect(paths({ ...base, lab: { pool: 'p' }, oracle: { kind: 'splice-loopback' } })).toEqual([]);
  });

  it('serves a pool that has a configured lab, and names the configured pools otherwise', () => {
    expect(paths({ ...base, lab: { pool: 'p' } })).toEqual([]);
    expect(paths({ ...base, lab: { pool: 'x86-perf' } })).toEqual([]);
    expect(paths({ ...base, lab: { pool: 'arm64' } })).toEqual([
      '/lab/pool no configured lab is in pool "arm64": configured pools are "p", "x86-perf"',
    ]);
    expect(labProblems({ ...base, lab: { pool: 'p' } }, new Map())[0]?.message).toMatch(
      /configured pools are none$/,
    );
  });

  it('counts boot failures as bad on a lab only', () => {
    expect(paths({ ...base, bootFailure: 'bad' })).toEqual([]);
    expect(paths({ ...base, lab: { pool: 'p' }, bootFailure: 'bad' })).toEqual([]);
    const local: BisectSpec = {
      ...base,
      build: { command: 'make' },
      lab: 'local',
      oracle: { kind: 'command', command: 'true' },
    };
    expect(paths({ ...local, bootFailure: 'skip' })).toEqual([]);
    expect(paths({ ...local, bootFailure: 'bad' })).toEqual([
      '/bootFailure boot failures count as bad on a lab only: lab "local" boots no kernel',
    ]);
  });
});

describe('the bootFailure field of a bisect spec', () => {
  const spec = { repo: '/src', good: 'v1', bad: 'v2', oracle: { kind: 'splice-loopback' } };
  it('is skip or bad, and optional', () => {
    expect(Value.Check(BisectSpec, spec)).toBe(true);
    expect(Value.Check(BisectSpec, { ...spec, bootFailure: 'bad' })).toBe(true);
    expect(Value.Check(BisectSpec, { ...spec, bootFailure: 'skip' })).toBe(true);
    expect(Value.Check(BisectSpec, { ...spec, bootFailure: 'good' })).toBe(false);
    expect(bootFailureOf({})).toBe('skip');
    expect(bootFailureOf({ bootFailure: 'bad' })).toBe('bad');
  });
});
