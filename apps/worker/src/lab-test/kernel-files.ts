import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KernelArtifactRef, StoredFileRef } from '@kbisect/contracts';
import type { KernelToDeploy } from '@kbisect/lab';
import { ArtifactCorrupt, ArtifactNotFound, ArtifactStore, fileSha256, keys } from '@kbisect/queue';
import { UnrecoverableError } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface KernelFilesOptions {
  store: ArtifactStore;
  /** Kernels built on other hosts are downloaded here, one file per SHA-256. */
  cacheDir: string;
  /** This host's name as build jobs report it; hostname() unless a test plays another host. */
  host?: string;
  log?: Logger;
}

/**
 * The files of a built kernel on this host, for deployKernel: the build host's own files when
 * this is that host and they still have the content the build job reported; otherwise a copy
 * in this worker's cache directory, downloaded from the deployment's Redis once (checked
 * against the SHA-256, written atomically). Every use sets the artifacts' TTL in Redis again,
 * so they stay while a bisect samples the commit. An artifact that is gone from Redis, or
 * damaged there, fails the job for good: trying again cannot bring it back.
 */
export class KernelFiles {
  readonly #host: string;
  /** SHA-256 of local files by path, size and mtime: a kernel is hashed once, not per sample. */
  readonly #hashed = new Map<string, string>();
  /** One download per file at a time, however many jobs want it. */
  readonly #downloads = new Map<string, Promise<string>>();

  constructor(private readonly options: KernelFilesOptions) {
    this.#host = options.host ?? hostname();
  }

  /** Default settings and a cache directory under the system's temporary directory. */
  static inTempDir(redis: Redis, prefix: string): KernelFiles {
    return new KernelFiles({
      store: new ArtifactStore(redis, keys(prefix)),
      cacheDir: join(tmpdir(), `kbisect-kernel-files-${process.getuid?.() ?? 'user'}`),
    });
  }

  /** `log`: the job's logger, so a download shows in the bisect's event stream. */
  async localize(
    builtOn: string,
    kernel: KernelArtifactRef,
    signal?: AbortSignal,
    log = this.options.log,
  ): Promise<KernelToDeploy> {
    const imageRef = { path: kernel.image, sha256: kernel.sha256, size: kernel.size };
    const image = await this.file(builtOn, imageRef, 'image', signal, log);
    const modules = kernel.modules
      ? await this.file(builtOn, kernel.modules, 'modules', signal, log)
      : undefined;
    return {
      image,
      release: kernel.release,
      ...(modules ? { modulesArchive: modules } : {}),
    };
  }

  private async file(
    builtOn: string,
    ref: StoredFileRef,
    what: string,
    signal?: AbortSignal,
    log?: Logger,
  ): Promise<string> {
    const { store } = this.options;
    const inRedis = await store.touch(ref.sha256);
    if (builtOn === this.#host && (await this.hasContent(ref.path, ref))) return ref.path;
    const copy = join(this.options.cacheDir, ref.sha256);
    if (await this.hasContent(copy, ref, { trustName: true })) return copy;
    let download = this.#downloads.get(copy);
    if (!download) {
      download = this.download(ref, copy, what, inRedis, builtOn, signal, log);
      this.#downloads.set(copy, download);
      download.then(
        () => this.#downloads.delete(copy),
        () => this.#downloads.delete(copy),
      );
    }
    return download;
  }

  private async download(
    ref: StoredFileRef,
    copy: string,
    what: string,
    inRedis: boolean,
    builtOn: string,
    signal?: AbortSignal,
    log?: Logger,
  ): Promise<string> {
    const context = `the kernel ${what} built on ${builtOn} (${ref.path})`;
    if (!inRedis) {
      const missing = new ArtifactNotFound(ref.sha256, this.options.store.keyOf(ref.sha256));
      throw new UnrecoverableError(`${context} is not on this host: ${missing.message}`);
    }
    try {
      const { seconds } = await this.options.store.fetch(ref, copy, signal);
      log?.info(
        { sha256: ref.sha256, size: ref.size, seconds: Number(seconds.toFixed(3)), builtOn },
        `fetched ${context} from Redis (${(ref.size / 2 ** 20).toFixed(1)} MiB)`,
      );
      return copy;
    } catch (error) {
      if (error instanceof ArtifactNotFound || error instanceof ArtifactCorrupt) {
        throw new UnrecoverableError(`${context} is not on this host: ${error.message}`);
      }
      throw error;
    }
  }

  /**
   * Whether `path` holds the artifact. A download cache file is named by its SHA-256 and was
   * checked before it was renamed into place, so its size is enough (`trustName`); a build
   * host's file could have been rebuilt since, so it is hashed (once per size and mtime).
   */
  private async hasContent(
    path: string,
    ref: StoredFileRef,
    { trustName = false } = {},
  ): Promise<boolean> {
    if (!existsSync(path)) return false;
    const { size, mtimeMs } = await stat(path);
    if (size !== ref.size) return false;
    if (trustName) return true;
    const key = `${path}\0${size}\0${mtimeMs}`;
    let sha256 = this.#hashed.get(key);
    if (!sha256) {
      sha256 = await fileSha256(path);
      this.#hashed.set(key, sha256);
    }
    return sha256 === ref.sha256;
  }
}
