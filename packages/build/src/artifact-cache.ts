import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { packModules } from './modules-archive.js';

/** What one build produced, kept under its cache key. */
export interface KernelArtifact {
  /** `<tree id>-<config hash>-<toolchain id>`. */
  key: string;
  dir: string;
  ok: boolean;
  /** The commit whose build filled this entry (another commit with the same tree reuses it). */
  commit: string;
  treeId: string;
  /** Bootable image (ok only). */
  image?: string;
  /** The .config the kernel was built with. */
  config?: string;
  /** `make kernelrelease`: what `uname -r` must say on the lab. */
  release?: string;
  signature?: string;
  /** Installed modules (when the targets include `modules`). */
  modulesDir?: string;
  /** The modules of `release` as one tar.gz (relative to lib/modules/<release>), for the lab. */
  modulesArchive?: string;
  /** The full build log. */
  log: string;
  logTail?: string;
  timings: { configureSeconds: number; compileSeconds: number; totalSeconds: number };
  builtAt: string;
}

const META = 'artifact.json';
const MODULES_ARCHIVE = 'modules.tar.gz';

/**
 * Built kernels by tree id + config hash + toolchain id. Re-testing a commit, or a commit
 * whose tree equals one already built, reads the entry instead of rebuilding. A failed build
 * is cached too (it fails again the same way); a timed-out one is not (the machine may have
 * been slow). Entries are written to a temporary directory and renamed into place.
 */
export class ArtifactCache {
  constructor(readonly dir: string) {}

  pathOf(key: string): string {
    return join(this.dir, key);
  }

  async get(key: string): Promise<KernelArtifact | undefined> {
    const meta = join(this.pathOf(key), META);
    if (!existsSync(meta)) return undefined;
    const entry = JSON.parse(await readFile(meta, 'utf8')) as KernelArtifact;
    return entry.modulesDir && !entry.modulesArchive ? this.addModulesArchive(entry) : entry;
  }

  /**
   * An entry cached before modules were archived gets its archive once, on first use: made
   * beside the entry and renamed into place, so two processes doing it at once are harmless.
   */
  private async addModulesArchive(entry: KernelArtifact): Promise<KernelArtifact> {
    if (!entry.modulesDir || !entry.release) return entry;
    const archive = await packModules(
      entry.modulesDir,
      entry.release,
      join(entry.dir, MODULES_ARCHIVE),
    );
    if (!archive) return entry;
    const updated = { ...entry, modulesArchive: archive };
    const meta = join(entry.dir, META);
    const temporary = `${meta}.tmp-${process.pid}`;
    await writeFile(temporary, `${JSON.stringify(updated, null, 2)}\n`);
    await rename(temporary, meta);
    return updated;
  }

  /** Copies the files named in `files` into the entry and records `artifact` with their new paths. */
  async put(
    artifact: Omit<KernelArtifact, 'dir' | 'image' | 'config' | 'log' | 'modulesArchive'>,
    files: { image?: string; config?: string; log: string; modulesDir?: string },
  ): Promise<KernelArtifact> {
    const final = this.pathOf(artifact.key);
    const temporary = `${final}.tmp-${process.pid}`;
    await rm(temporary, { recursive: true, force: true });
    await mkdir(temporary, { recursive: true });
    const copy = async (from: string | undefined, name: string) => {
      if (!from) return undefined;
      await copyFile(from, join(temporary, name));
      return join(final, name);
    };
    const entry: KernelArtifact = {
      ...artifact,
      dir: final,
      ...(files.image ? { image: await copy(files.image, basename(files.image)) } : {}),
      ...(files.config ? { config: await copy(files.config, 'config') } : {}),
      log: (await copy(files.log, 'build.log')) as string,
    };
    if (files.modulesDir) {
      await rename(files.modulesDir, join(temporary, 'modules'));
      entry.modulesDir = join(final, 'modules');
      const archive =
        artifact.release &&
        (await packModules(
          join(temporary, 'modules'),
          artifact.release,
          join(temporary, MODULES_ARCHIVE),
        ));
      if (archive) entry.modulesArchive = join(final, MODULES_ARCHIVE);
    }
    await writeFile(join(temporary, META), `${JSON.stringify(entry, null, 2)}\n`);
    await rm(final, { recursive: true, force: true });
    await rename(temporary, final);
    return entry;
  }
}
