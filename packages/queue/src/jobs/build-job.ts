import { type Static, Type } from 'typebox';

const BuildEvidence = Type.Object({
  ok: Type.Boolean(),
  seconds: Type.Number(),
  logTail: Type.Optional(Type.String()),
  timedOut: Type.Optional(Type.Boolean()),
});

/** Check out one commit on a build host and build it there. */
export const BuildJob = Type.Object(
  {
    bisectId: Type.String(),
    repo: Type.String({ description: 'the source as submitted: URL or path on the host' }),
    commit: Type.String({ pattern: '^[0-9a-f]{40,64}$' }),
    /** Absent: nothing to build, the checkout is the artifact. */
    command: Type.Optional(Type.String()),
    timeoutMs: Type.Number({ exclusiveMinimum: 0 }),
    /** Build `commit` with this commit reverted on top (the "revert is good" check). */
    revert: Type.Optional(Type.String({ pattern: '^[0-9a-f]{40,64}$' })),
  },
  { additionalProperties: false },
);
export type BuildJob = Static<typeof BuildJob>;

/**
 * Where the built commit is. For `lab: local` the artifact is the built worktree on the build
 * host, so the lab-test job must run on that host (single-host limitation, see docs/service.md).
 */
export const BuildJobResult = Type.Union([
  Type.Object({
    kind: Type.Literal('built'),
    host: Type.String(),
    worktree: Type.String(),
    build: BuildEvidence,
  }),
  Type.Object({
    kind: Type.Literal('revert-conflict'),
    conflicts: Type.Array(Type.String()),
  }),
]);
export type BuildJobResult = Static<typeof BuildJobResult>;
