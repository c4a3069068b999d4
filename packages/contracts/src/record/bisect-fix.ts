import { type Static, Type } from 'typebox';

/**
 * The commit that fixed what a bisect found, as syzbot tracks a fix: recorded by hand
 * (`kbisect fixed ID COMMIT`, POST /v1/bisects/:id/fixed), shown by every report after it.
 */
export const BisectFix = Type.Object({
  commit: Type.String({ description: 'the full sha of the fix' }),
  subject: Type.String(),
  describe: Type.String({ description: '`git describe` of the fix, e.g. v3.8-rc2-5-g0123abc' }),
  by: Type.String({ description: 'the name of the token that recorded it' }),
  at: Type.String({ description: 'when it was recorded (ISO 8601)' }),
  note: Type.Optional(Type.String({ maxLength: 1024 })),
});
export type BisectFix = Static<typeof BisectFix>;
