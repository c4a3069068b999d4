import { createHash, randomBytes } from 'node:crypto';
import { access, mkdir, readdir, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { GitTimedOut } from './errors/git-timed-out.js';
import { RepositoryNotFound } from './errors/repository-not-found.js';
import { withFileLock } from './file-lock.js';
import { DEFAULT_NETWORK_LIMITS, type NetworkLimits, runNetworkGit } from './git-network.js';
import { Repository } from './repository.js';
import { checkSource, type SourcePolicy } from './source-policy.js';

export interface OpenRepositoryOptions {
  /** A local path (work tree or bare repository) or a URL git can clone. */
  source: string;
  /** Where mirrors (`mirrors/`) and default worktrees (`worktrees/`) live. */
  cacheDir: string;
  /** The service's repository rules, checked before anything else; absent: any source. */
  policy?: SourcePolicy;
  /** Bounds of clone and fetch (default DEFAULT_NETWORK_LIMITS). */
  limits?: NetworkLimits;
  /**
   * A local source removed after its mirror was made: open the mirror anyway (a worker whose
   * bisects were given shas the mirror holds), instead of failing with `RepositoryNotFound`.
   */
  sourceMayBeGone?: boolean;
}

/**
 * Opens the local bare mirror of `source`, cloning it on first use. The mirror is shared by
 * every process with the same cacheDir: clones and fetches hold a lock file, and a clone is
 * made under a temporary name and renamed into place, so an interrupted clone never leaves a
 * half mirror that looks complete. Opening does not fetch; call `fetch()` to refresh.
 */
export async function openRepository({
  source,
  cacheDir,
  policy,
  limits = DEFAULT_NETWORK_LIMITS,
  sourceMayBeGone = false,
}: OpenRepositoryOptions): Promise<Repository> {
  if (policy) await checkSource(source, policy);
  const cache = resolve(cacheDir);
  const mirrorsDir = join(cache, 'mirrors');
  const normalised = await normaliseSource(source).catch(async (error: unknown) => {
    const gone = resolve(source);
    const mirrored =
      sourceMayBeGone &&
      error instanceof RepositoryNotFound &&
      !isUrl(source) &&
      (await exists(join(mirrorsDir, mirrorName(gone))));
    if (mirrored) return gone;
    throw error;
  });
  await mkdir(mirrorsDir, { recursive: true });
  const mirrorPath = join(mirrorsDir, mirrorName(normalised));
  await withFileLock(`${mirrorPath}.lock`, async () => {
    if (!(await exists(mirrorPath))) await cloneMirror(normalised, mirrorsDir, mirrorPath, limits);
  });
  return new Repository({
    source: normalised,
    mirrorPath,
    worktreesDir: join(cache, 'worktrees'),
    limits,
  });
}

async function normaliseSource(source: string): Promise<string> {
  if (source.trim() === '') throw new RepositoryNotFound(source, 'no repository path or URL given');
  if (isUrl(source)) return source.replace(/\/+$/, '');
  const path = resolve(source);
  const info = await stat(path).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new RepositoryNotFound(
      source,
      `${path} is not a directory; give the path of a git checkout or a URL`,
    );
  }
  return realpath(path);
}

/**
 * `scheme://...` or scp-like `host:path` (a colon before any slash). Never something
 * starting with a dash: that becomes a local path, made absolute, so git cannot read it as
 * an option.
 */
function isUrl(source: string): boolean {
  if (source.startsWith('-')) return false;
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(source) || /^[^/]+:/.test(source);
}

/** Readable and collision-free: the repository's name, then a hash of the whole source. */
function mirrorName(source: string): string {
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const name = basename(source)
    .replace(/\.git$/, '')
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^[.-]+/, '')
    .slice(0, 40);
  return `${name || 'repo'}-${hash}.git`;
}

async function cloneMirror(
  source: string,
  mirrorsDir: string,
  mirrorPath: string,
  limits: NetworkLimits,
): Promise<void> {
  const prefix = `${basename(mirrorPath)}.tmp-`;
  // Holding the lock, no one else is cloning this mirror: leftovers are from a killed clone.
  for (const entry of await readdir(mirrorsDir)) {
    if (entry.startsWith(prefix))
      await rm(join(mirrorsDir, entry), { recursive: true, force: true });
  }
  const temporary = join(mirrorsDir, `${prefix}${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await runNetworkGit(['clone', '--mirror', '--quiet', '--', source, temporary], {
      cwd: mirrorsDir,
      source,
      limits,
    });
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    if (error instanceof GitTimedOut) throw error;
    const reason = error instanceof Error ? error.message.trim() : String(error);
    throw new RepositoryNotFound(source, `git clone --mirror failed: ${reason}`);
  }
  await rename(temporary, mirrorPath);
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
