import type { KernelArtifact } from '@kbisect/build';
import type { KernelArtifactRef } from '@kbisect/contracts';
import { type ArtifactStore, ArtifactTooLarge } from '@kbisect/queue';
import { UnrecoverableError } from 'bullmq';
import type { Logger } from 'pino';

/**
 * Puts a built kernel's image and modules archive in the deployment's Redis (ArtifactStore),
 * so a lab worker on any host can deploy it, and returns the reference the build job hands
 * on: paths on this host plus each file's SHA-256 and size. A file over `artifacts.maxBytes`
 * fails the job for good: building again cannot make it smaller.
 */
export async function publishKernel(
  store: ArtifactStore,
  artifact: Pick<KernelArtifact, 'image' | 'modulesArchive'> & { image: string },
  release: string,
  log: Logger,
  signal?: AbortSignal,
): Promise<KernelArtifactRef> {
  const publish = async (path: string, what: string) => {
    try {
      const stored = await store.publish(path, signal);
      log.info(
        { ...stored, path, seconds: Number(stored.seconds.toFixed(3)) },
        `${what} of ${release} ${stored.uploaded ? 'published' : 'already'} in Redis (${(stored.size / 2 ** 20).toFixed(1)} MiB)`,
      );
      return stored;
    } catch (error) {
      if (error instanceof ArtifactTooLarge) throw new UnrecoverableError(error.message);
      throw error;
    }
  };
  const image = await publish(artifact.image, 'kernel image');
  const modules = artifact.modulesArchive
    ? await publish(artifact.modulesArchive, 'modules archive')
    : undefined;
  return {
    image: artifact.image,
    release,
    sha256: image.sha256,
    size: image.size,
    ...(modules && artifact.modulesArchive
      ? { modules: { path: artifact.modulesArchive, sha256: modules.sha256, size: modules.size } }
      : {}),
  };
}
