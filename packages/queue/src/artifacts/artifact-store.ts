import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ARTIFACT_DEFAULTS } from '@kbisect/config';
import type { ChainableCommander, Redis } from 'ioredis';
import { ArtifactCorrupt } from '../errors/artifact-corrupt.js';
import { ArtifactNotFound } from '../errors/artifact-not-found.js';
import { ArtifactTooLarge } from '../errors/artifact-too-large.js';
import type { Keys } from '../keys.js';
import { fileSha256 } from './file-sha256.js';

/** A published file: its content names it. */
export interface StoredArtifact {
  sha256: string;
  size: number;
}

export interface ArtifactStoreOptions {
  /** The largest file one artifact may be (`artifacts.maxBytes`). */
  maxBytes?: number;
  /** An artifact nothing touched for this long is dropped (`artifacts.ttlSeconds`). */
  ttlSeconds?: number;
  /** Bytes per Redis command (`artifacts.chunkBytes`). */
  chunkBytes?: number;
  /** Chunk commands in flight at once. */
  window?: number;
}

const seconds = (from: number) => (performance.now() - from) / 1000;

/**
 * Build artifacts in the deployment's Redis, so a lab worker on another host can deploy what
 * a build worker built: one hash per file under `<prefix>:artifact:<sha256>`, the file in
 * fixed-size chunks (fields `0`, `1`, ...) and its `size` and `chunks`. Chunks keep each
 * command small, so the connection's other traffic (BullMQ lock renewals) never waits behind
 * a whole kernel. A publish is written under a temporary key and renamed when complete, so a
 * reader never sees half an artifact; every publish and every use sets the TTL again, so an
 * artifact lives while a bisect uses it and goes away after.
 */
export class ArtifactStore {
  readonly maxBytes: number;
  readonly ttlSeconds: number;
  readonly chunkBytes: number;
  readonly #window: number;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    options: ArtifactStoreOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? ARTIFACT_DEFAULTS.maxBytes;
    this.ttlSeconds = options.ttlSeconds ?? ARTIFACT_DEFAULTS.ttlSeconds;
    this.chunkBytes = options.chunkBytes ?? ARTIFACT_DEFAULTS.chunkBytes;
    this.#window = Math.max(1, options.window ?? ARTIFACT_DEFAULTS.window);
  }

  keyOf(sha256: string): string {
    return this.keys.artifact(sha256);
  }

  /**
   * Puts a file in Redis under its SHA-256 (or only refreshes the TTL when that content is
   * there already). `uploaded` says whether bytes were sent.
   */
  async publish(
    path: string,
    signal?: AbortSignal,
  ): Promise<StoredArtifact & { uploaded: boolean; seconds: number }> {
    const started = performance.now();
    const { size } = await stat(path);
    if (size > this.maxBytes) throw new ArtifactTooLarge(path, size, this.maxBytes);
    const sha256 = await fileSha256(path);
    if (await this.touch(sha256)) {
      return { sha256, size, uploaded: false, seconds: seconds(started) };
    }
    const key = this.keyOf(sha256);
    const upload = `${key}:upload:${randomBytes(6).toString('hex')}`;
    const file = await open(path, 'r');
    try {
      const hash = createHash('sha256');
      const inFlight = new InFlight(this.#window);
      let chunks = 0;
      for (let offset = 0; offset < size; offset += this.chunkBytes) {
        signal?.throwIfAborted();
        const length = Math.min(this.chunkBytes, size - offset);
        const chunk = Buffer.allocUnsafe(length);
        const { bytesRead } = await file.read(chunk, 0, length, offset);
        if (bytesRead !== length) throw new Error(`${path} changed while it was published`);
        hash.update(chunk);
        const field = String(chunks++);
        // The temporary key expires too: a publisher killed mid-way leaves nothing for good.
        await inFlight.add(
          field === '0'
            ? checked(this.redis.multi().hset(upload, field, chunk).expire(upload, this.ttlSeconds))
            : this.redis.hset(upload, field, chunk),
        );
      }
      await inFlight.drain();
      if (hash.digest('hex') !== sha256) throw new Error(`${path} changed while it was published`);
      await checked(
        this.redis
          .multi()
          .hset(upload, { size, chunks, chunkBytes: this.chunkBytes })
          .rename(upload, key)
          .expire(key, this.ttlSeconds),
      );
      return { sha256, size, uploaded: true, seconds: seconds(started) };
    } catch (error) {
      // Commands on one connection run in order: this comes after every chunk sent above.
      await this.redis.unlink(upload).catch(() => {});
      throw error;
    } finally {
      await file.close();
    }
  }

  /** Sets the TTL again; false when the artifact is not there (any more). */
  async touch(sha256: string): Promise<boolean> {
    return (await this.redis.expire(this.keyOf(sha256), this.ttlSeconds)) === 1;
  }

  async has(sha256: string): Promise<boolean> {
    return (await this.redis.exists(this.keyOf(sha256))) === 1;
  }

  /**
   * Downloads an artifact to `destination`: written to a temporary file beside it, checked
   * against the SHA-256 and size it was published as, then renamed into place, so the
   * destination is either absent or complete and right. ArtifactNotFound when it is not in
   * Redis (or expires mid-way), ArtifactCorrupt when the bytes are not the artifact.
   */
  async fetch(
    artifact: StoredArtifact,
    destination: string,
    signal?: AbortSignal,
  ): Promise<{ seconds: number }> {
    const started = performance.now();
    const key = this.keyOf(artifact.sha256);
    // Refreshed first, so it cannot expire under the download.
    if (!(await this.touch(artifact.sha256))) throw new ArtifactNotFound(artifact.sha256, key);
    const [chunksText] = await this.redis.hmget(key, 'chunks');
    const chunks = Number(chunksText);
    if (chunksText === null || !Number.isInteger(chunks) || chunks < 0) {
      throw new ArtifactNotFound(artifact.sha256, key, 'its chunk count is missing');
    }
    await mkdir(dirname(destination), { recursive: true });
    const temporary = `${destination}.part-${process.pid}-${randomBytes(4).toString('hex')}`;
    const file = await open(temporary, 'w');
    let closed = false;
    try {
      const hash = createHash('sha256');
      let size = 0;
      const inFlight = new InFlight<Buffer | null>(this.#window);
      const write = async (chunk: Buffer | null, index: number) => {
        if (chunk === null) {
          throw new ArtifactNotFound(
            artifact.sha256,
            key,
            `chunk ${index} of ${chunks} is gone: it expired or was evicted during the download`,
          );
        }
        hash.update(chunk);
        size += chunk.length;
        await file.write(chunk);
      };
      let written = 0;
      for (let index = 0; index < chunks; index++) {
        signal?.throwIfAborted();
        const done = await inFlight.add(this.redis.hgetBuffer(key, String(index)));
        if (done.length) await write(done[0] as Buffer | null, written++);
      }
      for (const chunk of await inFlight.drain()) await write(chunk, written++);
      const actual = { sha256: hash.digest('hex'), size };
      if (actual.sha256 !== artifact.sha256 || size !== artifact.size) {
        throw new ArtifactCorrupt(artifact.sha256, actual, artifact.size);
      }
      // On disk before the rename: a crash must not leave a short file under the final name.
      await file.datasync();
      await file.close();
      closed = true;
      await rename(temporary, destination);
      return { seconds: seconds(started) };
    } catch (error) {
      if (!closed) await file.close().catch(() => {});
      await rm(temporary, { force: true });
      throw error;
    }
  }
}

/**
 * Up to `size` commands in flight on the connection (ioredis pipelines them), results taken
 * in order. `add` returns the results that had to be waited for to make room.
 */
class InFlight<T = unknown> {
  readonly #pending: Promise<T>[] = [];

  constructor(private readonly size: number) {}

  async add(command: Promise<T>): Promise<T[]> {
    // Marked as handled now; the rejection still reaches whoever awaits it in order.
    command.catch(() => {});
    this.#pending.push(command);
    const done: T[] = [];
    while (this.#pending.length >= this.size)
      done.push(await (this.#pending.shift() as Promise<T>));
    return done;
  }

  async drain(): Promise<T[]> {
    const done: T[] = [];
    while (this.#pending.length) done.push(await (this.#pending.shift() as Promise<T>));
    return done;
  }
}

/** A MULTI's replies, failing on the first command Redis refused. */
async function checked(multi: ChainableCommander): Promise<unknown[]> {
  const replies = (await multi.exec()) ?? [];
  for (const [error] of replies) if (error) throw error;
  return replies.map(([, reply]) => reply);
}
