import type { FollowedEvent } from '../client/follow-events.js';

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

const clock = (time: unknown) =>
  new Date(typeof time === 'number' ? time : Date.now()).toTimeString().slice(0, 8);

/**
 * One human line per event, in the style of `kbisect run`'s progress: the bisect's own log
 * lines, and its status changes. Progress events repeat what the log lines say, so they are
 * left to machines (`--json`).
 */
export function progressText(event: FollowedEvent): string | undefined {
  switch (event.type) {
    case 'log': {
      const line = event.data as { level?: number; time?: number; msg?: string };
      if (!line.msg) return undefined;
      return `[${clock(line.time)}] ${LEVELS[line.level ?? 30] ?? 'INFO'}: ${line.msg}`;
    }
    case 'status':
      return `[${clock(undefined)}] STATUS: ${(event.data as { status: string }).status}`;
    default:
      return undefined;
  }
}
