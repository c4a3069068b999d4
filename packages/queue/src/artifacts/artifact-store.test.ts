import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@kbisect/config';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL } from '../../../../test/support/test-redis.js';
import { ArtifactCorrupt, ArtifactNotFound, ArtifactTooLarge } from '../errors/index.js';
import { keys } from '../keys.js';
import { ArtifactStore, type ArtifactStoreOptions } from './artifact-store.js';
import { fileSha256 } from './file-sha256.js';

const url = TEST_REDIS_URL;
const prefix = `kbisect-test-artifacts-${process.pid}-${randomBytes(3).toString('hex')}`;
const MIB = 1024 * 1024;
let redis: Redis;
const dirs: string[] = [];
const tempDir = (name: string) => {
  const dir = mkdtempSync(join(tmpdir(), `kbisect-artifacts-${name}-`));
  dirs.push(dir);
  return dir;
};
/** A file of random bytes (random: nothing another test published can have its sha). */
const randomFile = (dir: string, size: number, name = 'bzImage') => {
  const path = join(dir, name);
  writeFileSync(path, randomBytes(size));
  return path;
};
const store = (options: ArtifactStoreOptions = {}) =>
  new ArtifactStore(redis, keys(prefix), { chunkBytes: 64 * 1024, ...options });

beforeAll(() => {
  redis = new Redis(url, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  const left = await redis.keys(`${prefix}:*`);
  if (left.length > 0) await redis.del(...left);
  await redis.quit();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('the artifact store', () => {
  it('hands a file from one cache directory to another byte for byte, by its sha256', async () => {
    const buildHost = tempDir('build');
    const labHost = tempDir('lab');
    const image = randomFile(buildHost, 300 * 1024 + 17);
    const artifacts = store();

    const published = await artifacts.publish(image);
    expect(published.sha256).toBe(await fileSha256(image));
    expect(published.size).toBe(300 * 1024 + 17);
    expect(published.uploaded).toBe(true);

    const copy = join(labHost, 'kernels', published.sha256);
    await artifacts.fetch(published, copy);
    expect(readFileSync(copy).equals(readFileSync(image))).toBe(true);
    // Written through a temporary file that is gone now.
    expect(readdirSync(join(labHost, 'kernels'))).toEqual([published.sha256]);
  });

  it('sends nothing when the content is there already, and sets its TTL again', async () => {
    const dir = tempDir('again');
    const image = randomFile(dir, 10_000);
    const artifacts = store({ ttlSeconds: 3600 });
    const first = await artifacts.publish(image);
    const key = keys(prefix).artifact(first.sha256);
    await redis.expire(key, 5);

    const second = await artifacts.publish(image);
    expect(second.uploaded).toBe(false);
    expect(second.sha256).toBe(first.sha256);
    expect(await redis.ttl(key)).toBeGreaterThan(3000);

    await redis.expire(key, 5);
    expect(await artifacts.touch(first.sha256)).toBe(true);
    expect(await redis.ttl(key)).toBeGreaterThan(3000);
  });

  it('publishes an empty file', async () => {
    const dir = tempDir('empty');
    const empty = join(dir, 'empty');
    writeFileSync(empty, '');
    const artifacts = store();
    const published = await artifacts.publish(empty);
    await artifacts.fetch(published, join(dir, 'copy'));
    expect(readFileSync(join(dir, 'copy')).length).toBe(0);
  });

  it('refuses bytes that are not the artifact, and writes nothing', async () => {
    const dir = tempDir('corrupt');
    const artifacts = store();
    const published = await artifacts.publish(randomFile(dir, 200 * 1024));
    const key = keys(prefix).artifact(published.sha256);
    const chunk = (await redis.hgetBuffer(key, '1')) as Buffer;
    chunk[100] = (chunk[100] as number) ^ 0xff;
    await redis.hset(key, '1', chunk);

    const destination = join(dir, 'lab', 'copy');
    const error = await artifacts.fetch(published, destination).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArtifactCorrupt);
    expect((error as Error).message).toContain(published.sha256);
    expect(existsSync(destination)).toBe(false);
    expect(readdirSync(join(dir, 'lab'))).toEqual([]);
  });

  it('says an artifact that was never published or has expired is not in Redis', async () => {
    const dir = tempDir('missing');
    const never = { sha256: 'a'.repeat(64), size: 1 };
    const missing = await store()
      .fetch(never, join(dir, 'never'))
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ArtifactNotFound);
    expect((missing as Error).message).toMatch(/not in Redis .*expired.*artifacts\.ttlSeconds/);
    expect(await store().touch(never.sha256)).toBe(false);

    const shortLived = store({ ttlSeconds: 1 });
    const published = await shortLived.publish(randomFile(dir, 5000));
    expect(await shortLived.has(published.sha256)).toBe(true);
    // Redis expires it after its TTL: wait for that, not for a guess of when it happens.
    await expect.poll(() => shortLived.has(published.sha256), { timeout: 10_000 }).toBe(false);
    const expired = await shortLived
      .fetch(published, join(dir, 'expired'))
      .catch((e: unknown) => e);
    expect(expired).toBeInstanceOf(ArtifactNotFound);
    expect(existsSync(join(dir, 'expired'))).toBe(false);
  });

  it('refuses a file over the size limit, naming the limit and the config key', async () => {
    const dir = tempDir('large');
    const image = randomFile(dir, 2 * MIB + 1);
    const error = await store({ maxBytes: 2 * MIB })
      .publish(image)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArtifactTooLarge);
    expect((error as Error).message).toContain('artifacts.maxBytes');
    expect((error as Error).message).toContain('2.0 MiB (2097152 bytes)');
    expect((error as Error).message).toContain(image);
    expect(await redis.keys(`${prefix}:artifact:${await fileSha256(image)}*`)).toEqual([]);
  });

  it('has a default size limit a distro kernel with gzipped modules fits in', async () => {
    const config = await loadConfig({ env: {} });
    expect(config.artifacts.maxBytes).toBe(256 * MIB);
    const raised = await loadConfig({ env: { KBISECT_ARTIFACT_MAX_BYTES: String(512 * MIB) } });
    expect(raised.artifacts.maxBytes).toBe(512 * MIB);
  });

  it('moves a 20 MiB file in 1 MiB chunks', async () => {
    const buildHost = tempDir('big-build');
    const labHost = tempDir('big-lab');
    const image = randomFile(buildHost, 20 * MIB);
    const artifacts = store({ chunkBytes: MIB });

    const published = await artifacts.publish(image);
    const key = keys(prefix).artifact(published.sha256);
    // 20 chunks plus size, chunks, chunkBytes; no temporary key left behind.
    expect(await redis.hlen(key)).toBe(23);
    expect(await redis.hget(key, 'chunks')).toBe('20');
    expect(await redis.keys(`${key}:*`)).toEqual([]);
    const copy = join(labHost, 'copy');
    const fetched = await artifacts.fetch(published, copy);
    expect(readFileSync(copy).equals(readFileSync(image))).toBe(true);

    const rate = (s: number) => `${(20 / s).toFixed(0)} MiB/s`;
    console.info(
      `20 MiB artifact: publish ${published.seconds.toFixed(2)} s (${rate(published.seconds)}), fetch ${fetched.seconds.toFixed(2)} s (${rate(fetched.seconds)})`,
    );
  });
});
