import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Repositories } from '@kbisect/config';
import type { BuildJob, BuildJobResult } from '@kbisect/contracts';
import { openRepository } from '@kbisect/git';
import { createStores, type Stores } from '@kbisect/queue';
import { Sandbox } from '@kbisect/sandbox';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeKernelRepo } from '../../../../packages/build/src/testing/fake-kernel-repo.js';
import { TEST_REDIS_URL } from '../../../../test/support/test-redis.js';
import { Interrupts } from '../interrupts.js';
import { buildProcessor } from './build-processor.js';
import { KernelBuilders } from './kernel-builders.js';
import { LocalWorktrees } from './local-worktrees.js';

const url = TEST_REDIS_URL;
const prefix = `kbisect-test-kernel-revert-${process.pid}-${randomBytes(3).toString('hex')}`;

/**
 * The revert check of a kernel bisect: a build job with `kernel` and `revert` builds the bad
 * commit with the culprit reverted, through a real mirror of a kernel-shaped repository, and
 * the release names the revert commit so the lab can prove it booted exactly that kernel.
 */
describe('kernel build job with the culprit reverted', () => {
  let redis: Redis;
  let stores: Stores;
  const dirs: string[] = [];
  const tempDir = (name: string) => {
    const dir = mkdtempSync(join(tmpdir(), `kbisect-kernel-revert-${name}-`));
    dirs.push(dir);
    return dir;
  };
  const repo = fakeKernelRepo();
  dirs.push(repo.dir);
  const good = repo.commit('helper', { 'helper.c': 'int helper(int x) { return x + 5; }\n' });
  const culprit = repo.commit('helper: slower', {
    'helper.c': 'int helper(int x) { return x + 50; }\n',
  });
  const bad = repo.commit('another driver', { 'other.c': 'int other(void) { return 1; }\n' });
  const touchesAgain = repo.commit('helper: reworded', {
    'helper.c': 'int helper(int x) { return x + 51; }\n',
  });
  const bisectId = 'b-kernel-revert';
  let cacheDir: string;

  const runBuild = async (onto: string, revert: string) => {
    const repository = await openRepository({ source: repo.dir, cacheDir });
    const sandbox = Sandbox.cleanEnvironmentOnly(tempDir('sandbox'));
    const processor = buildProcessor({
      stores,
      repositories: { get: async () => repository } as unknown as Repositories,
      worktrees: new LocalWorktrees(tempDir('worktrees')),
      interrupts: new Interrupts(),
      sandbox,
      kernelBuilders: new KernelBuilders(join(cacheDir, 'kernels'), sandbox),
      cacheDir: tempDir('cache'),
      lockDurationMs: 30_000,
      log: pino({ level: 'silent' }),
    });
    const data: BuildJob = {
      owner: { bisectId },
      repo: repo.dir,
      commit: onto,
      revert,
      timeoutMs: 120_000,
      kernel: { config: { kind: 'defconfig', target: 'tinyconfig' } },
    };
    return processor({ id: `build-${onto}`, data } as Job<BuildJob, BuildJobResult>);
  };

  beforeAll(async () => {
    redis = new Redis(url, { maxRetriesPerRequest: null });
    stores = createStores(redis, await loadConfig({ env: { KBISECT_REDIS_PREFIX: prefix } }));
    cacheDir = tempDir('cache');
    await stores.bisects.create({
      id: bisectId,
      status: 'running',
      spec: { repo: repo.dir, good, bad, oracle: { kind: 'command', command: 'true' } },
      range: { bad, goods: [good], firstParent: false, commits: 2 },
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

  it('builds bad + revert of the culprit as its own commit, named in the release', async () => {
    const result = await runBuild(bad, culprit);
    if (result.kind !== 'built' || !result.kernel) {
      throw new Error(`expected a built kernel: ${JSON.stringify(result)}`);
    }
    expect(result.build.ok).toBe(true);
    const revertSha = /^1\.0\.0-kb-([0-9a-f]{12})$/.exec(result.kernel.release)?.[1];
    expect(revertSha).toBeDefined();
    expect(revertSha).not.toBe(bad.slice(0, 12));
    expect(existsSync(result.kernel.image)).toBe(true);

    const mirror = (await openRepository({ source: repo.dir, cacheDir })).mirrorPath;
    const git = (...args: string[]) =>
      execFileSync('git', ['--git-dir', mirror, ...args], { encoding: 'utf8' }).trim();
    const full = git('rev-parse', `${revertSha}^{commit}`);
    expect(git('rev-parse', `${full}^`)).toBe(bad);
    expect(git('show', `${full}:helper.c`)).toBe('int helper(int x) { return x + 5; }');
    expect(git('show', `${full}:other.c`)).toBe('int other(void) { return 1; }');

    // The same revert is the same commit: a retry or another host builds nothing new.
    const again = await runBuild(bad, culprit);
    expect(again.kind === 'built' && again.kernel?.release).toBe(result.kernel.release);
  });

  it('answers revert-conflict when a later commit changed the same lines', async () => {
    const result = await runBuild(touchesAgain, culprit);
    expect(result).toEqual({ kind: 'revert-conflict', conflicts: ['helper.c'] });
  });
});
