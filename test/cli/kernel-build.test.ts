import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KernelBuilder } from '@kbisect/build';
import { Repositories } from '@kbisect/config';
import { kernelBuildOf } from '@kbisect/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeKernelRepo } from '../../packages/build/src/testing/fake-kernel-repo.js';
import { runKbisect } from './kbisect-cli.js';

let work: string;
let repo: ReturnType<typeof fakeKernelRepo>;
let head: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'kbisect-kernel-build-'));
  repo = fakeKernelRepo();
  head = repo.commit('change helper', { 'helper.c': 'int helper(int x) { return x - 5; }\n' });
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(repo.dir, { recursive: true, force: true });
});

describe('kbisect kernel build', () => {
  it("builds with the service's kernel builder, prints the image, then finds it in the artifact cache", async () => {
    const cacheDir = join(work, 'cache');
    const args = ['kernel', 'build', '--repo', repo.dir, 'main', '--defconfig', 'tinyconfig'];
    args.push('--make-target', 'bzImage', '--make-target', 'modules', '--cache-dir', cacheDir);

    const first = await runKbisect(args);
    expect(first.stderr).toMatch(
      new RegExp(`^build ${head.slice(0, 12)}: kernel tinyconfig, x86_64 bzImage modules, -j\\d+`),
    );
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`^kernel ${head.slice(0, 12)} built in \\d+ s\n`));
    const image = /^image: +(\S+)$/m.exec(first.stdout)?.[1] as string;
    expect(image.startsWith(join(cacheDir, 'kernel', 'artifacts'))).toBe(true);
    expect(readFileSync(image, 'utf8')).toContain(`1.0.0-kb-${head.slice(0, 12)}`);
    expect(first.stdout).toMatch(/^modules: +\S+\/modules\.tar\.gz$/m);
    expect(first.stdout).toContain(`release: 1.0.0-kb-${head.slice(0, 12)}`);

    const second = await runKbisect([...args, '--json']);
    expect(second.code).toBe(0);
    expect(second.json).toMatchObject({ commit: head, ok: true, cached: true, image });
    expect(second.stderr).not.toMatch(/^build /m);

    // A bisect of the service with the same flags (`kbisect start --defconfig tinyconfig ...`)
    // builds through the worker's mirror and kernel directory: it finds this kernel built.
    const job = kernelBuildOf({
      build: { kernel: { config: { defconfig: 'tinyconfig' }, targets: ['bzImage', 'modules'] } },
    });
    if (!job) throw new Error('a kernel build spec has a kernel build');
    const builder = await KernelBuilder.create({ spec: job, cacheDir: join(cacheDir, 'kernel') });
    const mirror = await new Repositories(cacheDir).get(repo.dir);
    const { evidence } = await builder.build(mirror, head, new AbortController().signal);
    expect(evidence).toMatchObject({ ok: true, cached: true });
  }, 180_000);

  it('says which flag is missing or wrong, and which ref is unknown', async () => {
    const cacheDir = join(work, 'cache-errors');
    const base = ['kernel', 'build', '--repo', repo.dir, '--cache-dir', cacheDir];

    const [noConfig, unknown, noRepo] = await Promise.all([
      runKbisect([...base, 'main']),
      runKbisect([...base, 'no-such-branch', '--defconfig', 'tinyconfig']),
      runKbisect([
        ...base.slice(0, 3),
        join(work, 'missing'),
        ...base.slice(4),
        'main',
        '--defconfig',
        'tinyconfig',
      ]),
    ]);
    expect(noConfig.code).toBe(1);
    expect(noConfig.stderr).toContain('needs a config: --defconfig TARGET');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown revision "no-such-branch"');
    expect(noRepo.code).toBe(1);
    expect(noRepo.stderr).toContain('is not a directory; give the path of a git checkout or a URL');
    expect(existsSync(join(cacheDir, 'kernel', 'artifacts'))).toBe(false);
  }, 180_000);

  it('exits 1 with the log tail when the commit does not compile', async () => {
    const broken = repo.commit('break the build', {
      'helper.c': 'int helper(int x) { return x -; }\n',
    });
    const run = await runKbisect([
      'kernel',
      'build',
      '--repo',
      repo.dir,
      broken,
      '--defconfig',
      'tinyconfig',
      '--cache-dir',
      join(work, 'cache-broken'),
      '--json',
    ]);
    expect(run.code).toBe(1);
    expect(run.json).toMatchObject({ commit: broken, ok: false });
    expect(run.stderr).toContain(`kbisect: kernel ${broken.slice(0, 12)} does not build`);
    expect(run.stderr).toMatch(/helper\.c.*error/);
  }, 180_000);
});
