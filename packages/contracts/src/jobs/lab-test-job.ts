import { OracleSpec } from '@kbisect/oracle';
import { type Static, Type } from 'typebox';
import { LabSpec } from '../spec/bisect-spec.js';
import { KernelArtifactRef } from './build-job.js';
import { JobOwner } from './job-owner.js';

/**
 * One oracle run on a built commit. `lab` says where it must run, and with the build host it
 * names the job's queue (`labTestQueueOf`): `local` on the build host, a named lab or a pool
 * on the workers that have it (kexec labs).
 */
export const LabTestJob = Type.Object(
  {
    owner: JobOwner,
    commit: Type.String({ pattern: '^[0-9a-f]{40,64}$' }),
    lab: LabSpec,
    oracle: OracleSpec,
    artifact: Type.Object({
      host: Type.String(),
      worktree: Type.String(),
      kernel: Type.Optional(KernelArtifactRef),
    }),
    sampleIndex: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type LabTestJob = Static<typeof LabTestJob>;

const Sample = Type.Object({
  value: Type.Optional(Type.Number()),
  exitCode: Type.Optional(Type.Integer()),
  seconds: Type.Number(),
  hang: Type.Optional(Type.Boolean()),
  detail: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

/**
 * A sample, or the oracle could not measure (the commit is skipped with this evidence), or
 * the build slot no longer holds the commit's build (nothing was run: it is built again).
 */
export const LabTestJobResult = Type.Union([
  Type.Object({
    kind: Type.Literal('sample'),
    sample: Sample,
    /** What the numbers are, as the oracle says: for the effect text of the result. */
    quantity: Type.Optional(
      Type.Object({ metric: Type.String(), unit: Type.Optional(Type.String()) }),
    ),
  }),
  Type.Object({
    kind: Type.Literal('oracle-failed'),
    message: Type.String(),
    outputTail: Type.Optional(Type.String()),
    /** 'boot-failed': the kernel did not boot on the lab; absent (older results): oracle-skip. */
    reason: Type.Optional(Type.Union([Type.Literal('oracle-skip'), Type.Literal('boot-failed')])),
  }),
  Type.Object({
    kind: Type.Literal('slot-moved-on'),
    /** The build slot the job was sent to (the job's `artifact.worktree`). */
    worktree: Type.String(),
    /** What `slotProblem` saw: who holds the slot now, or what is checked out there. */
    problem: Type.String(),
  }),
]);
export type LabTestJobResult = Static<typeof LabTestJobResult>;
