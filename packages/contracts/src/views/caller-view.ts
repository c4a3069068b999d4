import { type Static, Type } from 'typebox';

/** `GET /v1/me`: who the presented token is and what it may do. */
export const CallerView = Type.Object({
  authenticated: Type.Boolean({ description: 'whether the request carried a configured token' }),
  readsNeedToken: Type.Boolean({ description: 'whether reading bisects needs a token here' }),
  name: Type.String({ description: "the token's name: the owner of what it submits" }),
  write: Type.Boolean({ description: 'may submit, cancel and mark (its own bisects)' }),
  admin: Type.Boolean({ description: "may cancel and mark anyone's bisects" }),
});
export type CallerView = Static<typeof CallerView>;
