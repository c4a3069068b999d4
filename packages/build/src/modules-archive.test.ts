import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { KernelBuildSpec } from './kernel-build-spec.js';
import { KernelBuilder } from './kernel-builder.js';
import { fakeKernelRepo } from './testing/fake-kernel-repo.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'kbisect-modules-test-'));
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const signal = new AbortController().signal;
const spec: KernelBuildSpec = {
  config: { kind: 'defconfig', target: 'tinyconfig' },
  targets: ['bzImage', 'modules'],
  ccache: 'off',
};
/** `tar -tvz` lines: mode, owner/group, size, date, time, name. */
const members = (archive: string) =>
  execFileSync('tar', ['-tvzf', archive, '--numeric-owner'], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => {
      const fields = line.split(/\s+/);
      return { owner: fields[1], name: fields.slice(5).join(' ') };
    });

describe('the modules of a kernel build', () => {
  it('are archived once per artifact, relative to lib/modules/<release>, owned by root, without the build link', async () => {
    const repo = fakeKernelRepo();
    dirs.push(repo.dir);
    const head = repo.commit('a driver', { 'helper.c': 'int helper(int x) { return x - 9; }\n' });
    const builder = await KernelBuilder.create({ spec, cacheDir: tempDir() });

    const { evidence, artifact } = await builder.build(repo.source, head, signal);

    expect(evidence.ok).toBe(true);
    const archive = artifact?.modulesArchive as string;
    expect(archive).toBe(join(artifact?.dir as string, 'modules.tar.gz'));
    const listed = members(archive);
    expect(listed.map((m) => m.name).sort()).toEqual([
      './',
      './kernel/',
      './kernel/drivers/',
      './kernel/drivers/net/',
      './kernel/drivers/net/fake.ko',
      './modules.dep',
    ]);
    expect(new Set(listed.map((m) => m.owner))).toEqual(new Set(['0/0']));
    const ko = execFileSync('tar', ['-xzOf', archive, './kernel/drivers/net/fake.ko'], {
      encoding: 'utf8',
    });
    expect(ko).toBe(`fake module of ${evidence.release}\n`);

    const again = await builder.build(repo.source, head, signal);
    expect(again.evidence.cached).toBe(true);
    expect(again.artifact?.modulesArchive).toBe(archive);
  });

  it('gives an artifact cached before archives existed its archive on first use', async () => {
    const repo = fakeKernelRepo();
    dirs.push(repo.dir);
    const head = repo.commit('old entry', { 'helper.c': 'int helper(int x) { return x - 8; }\n' });
    const builder = await KernelBuilder.create({ spec, cacheDir: tempDir() });
    const { artifact } = await builder.build(repo.source, head, signal);
    const archive = artifact?.modulesArchive as string;
    const bytes = readFileSync(archive);
    // What an entry written by the previous version looks like.
    rmSync(archive);
    const meta = join(artifact?.dir as string, 'artifact.json');
    const { modulesArchive: _, ...old } = JSON.parse(readFileSync(meta, 'utf8'));
    writeFileSync(meta, JSON.stringify(old));

    const { evidence, artifact: upgraded } = await builder.build(repo.source, head, signal);

    expect(evidence.cached).toBe(true);
    expect(upgraded?.modulesArchive).toBe(archive);
    expect(existsSync(archive)).toBe(true);
    // The same modules give the same bytes: content-addressed copies are shared.
    expect(readFileSync(archive).equals(bytes)).toBe(true);
    expect(JSON.parse(readFileSync(meta, 'utf8')).modulesArchive).toBe(archive);
  });

  it('are absent when the targets do not build modules', async () => {
    const repo = fakeKernelRepo();
    dirs.push(repo.dir);
    const head = repo.commit('no modules', { 'helper.c': 'int helper(int x) { return x - 7; }\n' });
    const builder = await KernelBuilder.create({
      spec: { ...spec, targets: ['bzImage'] },
      cacheDir: tempDir(),
    });
    const { artifact } = await builder.build(repo.source, head, signal);
    expect(artifact?.image).toBeDefined();
    expect(artifact?.modulesArchive).toBeUndefined();
  });
});
