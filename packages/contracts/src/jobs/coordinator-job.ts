import { type Static, Type } from 'typebox';

/** One per bisect, jobId = bisect id; everything else is read from the store. */
export const CoordinatorJob = Type.Object(
  { bisectId: Type.String() },
  { additionalProperties: false },
);
export type CoordinatorJob = Static<typeof CoordinatorJob>;

/** What the coordinator job returns: the status it left the bisect in. */
export const CoordinatorJobResult = Type.Object({ status: Type.String() });
export type CoordinatorJobResult = Static<typeof CoordinatorJobResult>;
