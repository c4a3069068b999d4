import { CcacheMode, KernelBuildSpec } from '@kbisect/build';
import { type Static, Type } from 'typebox';
import { JobOwner } from './job-owner.js';

const BuildEvidence = Type.Object({
  ok: Type.Boolean(),
  seconds: Type.Number(),
  logTail: Type.Optional(Type.String()),
  timedOut: Type.Optional(Type.Boolean()),
  /** Kernel builds: what the kernel executes (core's `BuildEvidence.signature`). */
  signature: Type.Optional(Type.String()),
});

const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$' });

/**
 * A file of a built kernel: its path on the build host and its content, by which it is also
 * published in the deployment's Redis (ArtifactStore) for lab workers on other hosts.
 */
export const StoredFileRef = Type.Object({
  path: Type.String(),
  sha256: Sha256,
  size: Type.Integer({ minimum: 0 }),
});
export type StoredFileRef = Static<typeof StoredFileRef>;

/**
 * A built kernel: the lab-test job deploys `image` (and `modules`) to the lab, reading them
 * from the build host's disk when it is that host and from Redis otherwise.
 */
export const KernelArtifactRef = Type.Object({
  /** The image's path on the build host. */
  image: Type.String(),
  release: Type.String(),
  /** SHA-256 and size of the image: its name in the artifact store. */
  sha256: Sha256,
  size: Type.Integer({ minimum: 0 }),
  /** The modules (targets with `modules`): a tar.gz of `lib/modules/<release>`. */
  modules: Type.Optional(StoredFileRef),
});
export type KernelArtifactRef = Static<typeof KernelArtifactRef>;

/** Check out one commit on a build host and build it there, for a bisect or a watch run. */
export const BuildJob = Type.Object(
  {
    owner: JobOwner,
    repo: Type.String({ description: 'the source as submitted: URL or path on the host' }),
    commit: Type.String({ pattern: '^[0-9a-f]{40,64}$' }),
    /** Absent: nothing to build, the checkout is the artifact. */
    command: Type.Optional(Type.String()),
    timeoutMs: Type.Number({ exclusiveMinimum: 0 }),
    /** The build command may use the network (the spec's `build.network`). */
    network: Type.Optional(Type.Boolean()),
    /** ccache in front of the build command's CC and CXX (the spec's `build.ccache`). */
    ccache: Type.Optional(CcacheMode),
    /** A kernel build (KernelBuilder) instead of `command`: the spec's kernel, paths on the host. */
    kernel: Type.Optional(KernelBuildSpec),
    /** Build `commit` with this commit reverted on top (the "revert is good" check). */
    revert: Type.Optional(Type.String({ pattern: '^[0-9a-f]{40,64}$' })),
  },
  { additionalProperties: false },
);
export type BuildJob = Static<typeof BuildJob>;

/**
 * Where the built commit is. For `lab: local` the artifact is the built worktree on the build
 * host, so the lab-test job goes to that host's queue (`labTestQueueOf`, by `host`).
 */
export const BuildJobResult = Type.Union([
  Type.Object({
    kind: Type.Literal('built'),
    host: Type.String(),
    worktree: Type.String(),
    build: BuildEvidence,
    /**
     * Kernel builds: the image, its modules and its release. Paths are on `host`; the files
     * are also in the deployment's Redis by SHA-256, for lab workers on other hosts.
     */
    kernel: Type.Optional(KernelArtifactRef),
  }),
  Type.Object({
    kind: Type.Literal('revert-conflict'),
    conflicts: Type.Array(Type.String()),
  }),
]);
export type BuildJobResult = Static<typeof BuildJobResult>;
