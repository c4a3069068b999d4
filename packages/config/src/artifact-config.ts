import { Type } from 'typebox';

const MIB = 1024 * 1024;

/**
 * Kernel artifacts in Redis (the ArtifactStore of @kbisect/queue). The defaults live here with
 * the schema, not in the store: the config must load without the Redis side.
 * A distro bzImage (~15 MiB) or its stripped, gzipped modules (~100-200 MiB) fit.
 */
export const ARTIFACT_DEFAULTS = {
  maxBytes: 256 * MIB,
  ttlSeconds: 6 * 3600,
  chunkBytes: MIB,
  window: 4,
} as const;

export const ArtifactConfig = Type.Object(
  {
    maxBytes: Type.Integer({
      minimum: 1024 * 1024,
      maximum: 4 * 1024 ** 3,
      default: ARTIFACT_DEFAULTS.maxBytes,
      description:
        'the largest file one kernel artifact may be in Redis (an image, or the gzipped modules)',
    }),
    ttlSeconds: Type.Integer({
      minimum: 60,
      maximum: 30 * 24 * 3600,
      default: ARTIFACT_DEFAULTS.ttlSeconds,
      description:
        'an artifact no build or lab-test job used for this long leaves Redis; each use sets it again',
    }),
    chunkBytes: Type.Integer({
      minimum: 64 * 1024,
      maximum: 64 * 1024 * 1024,
      default: ARTIFACT_DEFAULTS.chunkBytes,
      description: 'bytes per Redis command when an artifact is sent or fetched',
    }),
  },
  { additionalProperties: false, default: {} },
);
