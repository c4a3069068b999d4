import { type Static, Type } from 'typebox';
import { WatchRecord } from '../watch/watch-spec.js';

/** A watch as the API answers it: the record, its address and its next run. */
export const WatchView = Type.Intersect([
  WatchRecord,
  Type.Object({
    url: Type.String(),
    /** When the scheduler will run it next (ISO time). */
    nextRunAt: Type.Optional(Type.String()),
  }),
]);
export type WatchView = Static<typeof WatchView>;
