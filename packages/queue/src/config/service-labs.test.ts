import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigInvalid } from '../errors/config-invalid.js';
import type { BisectSpec } from '../spec/bisect-spec.js';
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
  const labs = new Map([['vm-a', { ...lab('vm-a'), user: 'root', pool: 'p', arch: 'x86_64' }]]);
  const base: BisectSpec = {
    repo: '/src',
    good: 'v1',
    bad: 'v2',
    build: { kernel: { config: { defconfig: 'tinyconfig' } } },
    lab: { name: 'vm-a' },
    oracle: { kind: 'splice-loopback' },
  };
  const paths = (spec: BisectSpec) =>
    labProblems(spec, labs as never).map((p) => `${p.path} ${p.message}`);

  it('serves a kernel build on a configured lab, and a command build on local', () => {
    expect(paths(base)).toEqual([]);
    expect(paths({ ...base, build: { command: 'make' }, lab: 'local' })).toEqual([]);
  });

  it('names an unknown lab and the configured ones', () => {
    expect(paths({ ...base, lab: { name: 'rack9' } })).toEqual([
      '/lab/name unknown lab "rack9": configured labs are "vm-a"',
    ]);
  });

  it('refuses a kernel build without a lab, a lab without a kernel, other oracles on a lab', () => {
    expect(paths({ ...base, lab: 'local' })[0]).toMatch(/^\/lab a kernel build needs a lab/);
    expect(paths({ ...base, build: { command: 'make' } })[0]).toMatch(/^\/build /);
    expect(paths({ ...base, oracle: { kind: 'command', command: 'true' } })[0]).toMatch(
      /^\/oracle\/kind /,
    );
    expect(paths({ ...base, lab: { pool: 'p' } })[0]).toMatch(/^\/lab\/pool /);
  });
});
