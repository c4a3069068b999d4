import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

/**
 * Where `make modules_install INSTALL_MOD_PATH=<dir>` put the modules of `release`: under
 * lib/modules, or usr/lib/modules when kmod says modules live in /usr (merged-usr distros).
 */
export function modulesTree(installDir: string, release: string): string | undefined {
  return ['lib/modules', 'usr/lib/modules']
    .map((base) => join(installDir, base, release))
    .find((dir) => existsSync(dir));
}

/**
 * Packs the installed modules of `release` into one tar.gz whose members are relative to
 * lib/modules/<release> (`./kernel/...`, `./modules.dep`), so the lab unpacks it into a
 * directory it names and nowhere else. The `build` and `source` links point into the build
 * host's tree and are left out; members are owned by root and sorted by name, so the same
 * modules give the same archive. Written to a temporary file and renamed. Returns the
 * archive, or undefined when there is no modules tree for that release.
 */
export async function packModules(
  installDir: string,
  release: string,
  archive: string,
): Promise<string | undefined> {
  const tree = modulesTree(installDir, release);
  if (!tree) return undefined;
  const temporary = `${archive}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const tar = spawn(
    'tar',
    [
      '--create',
      '--file=-',
      `--directory=${tree}`,
      '--sort=name',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '--exclude=./build',
      '--exclude=./source',
      '.',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  tar.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    tar.once('error', reject);
    tar.once('close', resolve);
  });
  exited.catch(() => {});
  try {
    // zlib writes no name and no time into the gzip header: the bytes depend on the content.
    await pipeline(tar.stdout, createGzip({ level: 6 }), createWriteStream(temporary));
    const code = await exited;
    if (code !== 0) throw new Error(`tar of ${tree} failed (exit ${code}): ${stderr.trim()}`);
    await rename(temporary, archive);
    return archive;
  } catch (error) {
    tar.kill();
    await rm(temporary, { force: true });
    throw error;
  }
}
