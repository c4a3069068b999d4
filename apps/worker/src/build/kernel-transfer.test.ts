import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Repositories } from '@kbisect/config';
import type { BuildJob, BuildJobResult } from '@kbisect/contracts';
import { ArtifactStore, createStores, type Stores } from '@kbisect/queue';
import { Sandbox } from '@kbisect/sandbox';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeKernelRepo } from '../../../../packages/build/src/testing/fake-kernel-repo.js';
import { TEST_REDIS_URL } from '../../../../test/support/test-redis.js';
import { Interrupts } from '../interrupts.js';
import { KernelFiles } from '../lab-test/kernel-files.js';
import { buildProcessor } from './build-processor.js';
import { KernelBuilders } from './kernel-builders.js';
import { LocalWorktrees } from './local-worktrees.js';

const url = TEST_REDIS_URL;
const prefix = `kbisect-test-kernel-transfer-${process.pid}-${randomBytes(3).toString('hex')}`;
const log = pino({ level: 'silent' });
const BUILD_HOST = 'build-host-a';
const LAB_HOST = 'lab-host-b';

/**
 * A kernel build job on "host A" and the lab-test side on "host B", with the real Redis
 * between them: the host names are options, the kernel is the fake kernel tree (image and one
 * module), and nothing is booted. What host B deploys must be what host A built.
 */
describe('a kernel built on one host, deployed from another', () => {
  let redis: Redis;
  let stores: Stores;
  const dirs: string[] = [];
  const tempDir = (name: string) => {
    const dir = mkdtempSync(join(tmpdir(), `kbisect-transfer-${name}-`));
    dirs.push(dir);
    return dir;
  };
  const repo = fakeKernelRepo();
  dirs.push(repo.dir);
  const commit = repo.commit('a driver', { 'helper.c': 'int helper(int x) { return x + 5; }\n' });
  const bisectId = 'b-transfer';
  const kernelSpec = {
    config: { kind: 'defconfig' as const, target: 'tinyconfig' },
    targets: ['bzImage', 'modules'],
  };

  /** Runs one build job through the build worker's processor, as host A. */
  const buildOnHostA = async (overrides: Partial<Stores> = {}) => {
    const sandbox = Sandbox.cleanEnvironmentOnly(tempDir('sandbox'));
    const processor = buildProcessor({
      stores: { ...stores, ...overrides },
      // The fake tree is its own mirror and knows every commit it made.
      repositories: {
        get: async () => ({ ...repo.source, resolveRef: async () => commit }),
      } as unknown as Repositories,
      worktrees: new LocalWorktrees(tempDir('worktrees')),
      interrupts: new Interrupts(),
      sandbox,
      kernelBuilders: new KernelBuilders(buildCache, sandbox),
      host: BUILD_HOST,
      cacheDir: tempDir('cache'),
      lockDurationMs: 30_000,
      log,
    });
    const data: BuildJob = {
      owner: { bisectId },
      repo: repo.dir,
      commit,
      timeoutMs: 120_000,
      kernel: kernelSpec,
    };
    return (await processor({ id: 'build-1', data } as Job<BuildJob, BuildJobResult>)) as Extract<
      BuildJobResult,
      { kind: 'built' }
    >;
  };
  let buildCache: string;

  beforeAll(async () => {
    redis = new Redis(url, { maxRetriesPerRequest: null });
    stores = createStores(redis, await loadConfig({ env: { KBISECT_REDIS_PREFIX: prefix } }));
    buildCache = tempDir('build-cache');
    await stores.bisects.create({
      id: bisectId,
      status: 'running',
      spec: { repo: repo.dir, good: 'v1', bad: 'v2', oracle: { kind: 'command', command: 'true' } },
      range: { bad: commit, goods: [commit], firstParent: false, commits: 1 },
      submittedBy: 'ci',
      createdAt: new Date().toISOString(),
    });
  });
  afterAll(async () => {
    const left = await redis.keys(`${prefix}:*`);
    if (left.length > 0) await redis.del(...left);
    await redis.quit();
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('host B downloads the image and modules host A built, byte for byte, once', async () => {
    const built = await buildOnHostA();
    expect(built.host).toBe(BUILD_HOST);
    const kernel = built.kernel;
    if (!kernel?.modules) throw new Error(`no kernel with modules: ${JSON.stringify(built)}`);
    expect(kernel.release).toBe(`1.0.0-kb-${commit.slice(0, 12)}`);
    expect(kernel.size).toBe(readFileSync(kernel.image).length);

    const labCache = tempDir('lab-cache');
    const labFiles = new KernelFiles({
      store: stores.artifacts,
      cacheDir: labCache,
      host: LAB_HOST,
    });
    const deployed = await labFiles.localize(built.host, kernel);

    expect(deployed.release).toBe(kernel.release);
    expect(deployed.image).toBe(join(labCache, kernel.sha256));
    expect(readFileSync(deployed.image).equals(readFileSync(kernel.image))).toBe(true);
    expect(deployed.modulesArchive).toBe(join(labCache, kernel.modules.sha256));
    const module = execFileSync(
      'tar',
      ['-xzOf', deployed.modulesArchive as string, './kernel/drivers/net/fake.ko'],
      { encoding: 'utf8' },
    );
    expect(module).toBe(`fake module of ${kernel.release}\n`);

    // The next sample on host B uses its copies, even with Redis emptied under it.
    await redis.del(
      stores.artifacts.keyOf(kernel.sha256),
      stores.artifacts.keyOf(kernel.modules.sha256),
    );
    expect(await labFiles.localize(built.host, kernel)).toEqual(deployed);
    expect(readdirSync(labCache).sort()).toEqual([kernel.sha256, kernel.modules.sha256].sort());
  });

  it('host A itself deploys its own files and downloads nothing', async () => {
    const built = await buildOnHostA();
    const kernel = built.kernel;
    if (!kernel?.modules) throw new Error('no kernel with modules');
    const labCache = tempDir('same-host');
    const onBuildHost = new KernelFiles({
      store: stores.artifacts,
      cacheDir: labCache,
      host: BUILD_HOST,
    });

    const deployed = await onBuildHost.localize(built.host, kernel);

    expect(deployed.image).toBe(kernel.image);
    expect(deployed.modulesArchive).toBe(kernel.modules.path);
    expect(readdirSync(labCache)).toEqual([]);
  });

  it('fails the test for good, naming the build host, when the kernel left Redis', async () => {
    const built = await buildOnHostA();
    const kernel = built.kernel;
    if (!kernel) throw new Error('no kernel');
    await redis.del(stores.artifacts.keyOf(kernel.sha256));
    const elsewhere = new KernelFiles({
      store: stores.artifacts,
      cacheDir: tempDir('expired'),
      host: 'lab-host-c',
    });

    const error = await elsewhere.localize(built.host, kernel).catch((e: unknown) => e);

    expect((error as Error).name).toBe('UnrecoverableError');
    expect((error as Error).message).toContain(`kernel image built on ${BUILD_HOST}`);
    expect((error as Error).message).toMatch(/is not in Redis .*expired/);
  });

  it('fails the build job for good when the image is over artifacts.maxBytes', async () => {
    const tiny = new ArtifactStore(redis, stores.keys, { maxBytes: 100 });
    const error = await buildOnHostA({ artifacts: tiny }).catch((e: unknown) => e);
    expect((error as Error).name).toBe('UnrecoverableError');
    expect((error as Error).message).toContain('artifacts.maxBytes');
  });
});
