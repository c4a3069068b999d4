import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * What the last full build of one O= tree compiled: the yardstick of the progress lines of
 * later builds of that tree ("3120/4410 objects"). Kept beside the tree, not in it, so a
 * wiped build directory keeps its yardstick.
 */
export interface FullBuildRecord {
  objects: number;
  seconds: number;
  commit: string;
  builtAt: string;
}

const fileOf = (treeDir: string) => join(treeDir, 'full-build.json');

export async function readFullBuild(treeDir: string): Promise<FullBuildRecord | undefined> {
  try {
    const record = JSON.parse(await readFile(fileOf(treeDir), 'utf8')) as FullBuildRecord;
    return Number.isSafeInteger(record.objects) && record.objects > 0 ? record : undefined;
  } catch {
    return undefined;
  }
}

export async function writeFullBuild(treeDir: string, record: FullBuildRecord): Promise<void> {
  const file = fileOf(treeDir);
  await writeFile(`${file}.tmp`, `${JSON.stringify(record)}\n`);
  await rename(`${file}.tmp`, file);
}
