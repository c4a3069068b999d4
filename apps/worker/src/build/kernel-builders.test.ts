import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sandbox } from '@kbisect/sandbox';
import { afterAll, describe, expect, it } from 'vitest';
import { fakeKernelRepo } from '../../../../packages/build/src/testing/fake-kernel-repo.js';
import { KernelBuilders } from './kernel-builders.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('KernelBuilders', () => {
  it('gives each spec one O= tree per build the worker runs at once, and one builder per spec', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'kbisect-kernel-builders-'));
    const repo = fakeKernelRepo();
    dirs.push(cacheDir, repo.dir);
    const builders = new KernelBuilders(cacheDir, Sandbox.cleanEnvironmentOnly(cacheDir), 3);
    const spec = {
      config: { kind: 'defconfig' as const, target: 'tinyconfig' },
      ccache: 'off' as const,
    };

    const builder = await builders.get(spec);

    expect(await builders.get({ ...spec })).toBe(builder);
    const trees = builder.treeDirs(repo.source);
    expect(trees).toEqual([
      builder.treeDir(repo.source),
      `${builder.treeDir(repo.source)}.2`,
      `${builder.treeDir(repo.source)}.3`,
    ]);
  });
});
