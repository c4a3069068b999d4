import pino, { type Logger } from 'pino';
import type { EventStream } from '../store/event-stream.js';

/** Paths pino blanks out on every line: tokens and credentials never reach a log. */
export const REDACT = [
  'token',
  '*.token',
  'tokens',
  '*.tokens',
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'password',
  '*.password',
];

export interface ServiceLoggerOptions {
  level: string;
  /** Mirrors every line that carries a `bisectId` into that bisect's event stream. */
  events?: EventStream;
  /** `process`/`component` binding, e.g. "worker". */
  component: string;
  /** Where JSON lines go besides the stream; stdout by default. */
  destination?: pino.DestinationStream;
}

/**
 * pino JSON logs for the service. Lines of a bisect (child loggers with a `bisectId`
 * binding) are also appended to the bisect's Redis stream, which is what SSE followers and
 * `kbisect follow` read: one log call, both places, in the same order.
 */
export function serviceLogger(options: ServiceLoggerOptions): Logger {
  const streams: pino.StreamEntry[] = [
    {
      level: options.level as pino.Level,
      stream: options.destination ?? pino.destination(1),
    },
  ];
  const { events } = options;
  if (events) {
    streams.push({ level: 'info', stream: { write: (line: string) => mirror(events, line) } });
  }
  // The bisect's stream gets its info lines even when stdout only wants warnings.
  const level = events && quieterThanInfo(options.level) ? 'info' : options.level;
  return pino(
    {
      level,
      base: { component: options.component, pid: process.pid },
      redact: REDACT,
    },
    pino.multistream(streams),
  );
}

function quieterThanInfo(level: string): boolean {
  return ['warn', 'error', 'fatal', 'silent'].includes(level);
}

function mirror(events: EventStream, line: string): void {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return;
  }
  const { bisectId } = record;
  if (typeof bisectId !== 'string') return;
  const { pid: _pid, hostname: _hostname, component: _component, ...rest } = record;
  // A Redis outage must not take the worker down with it: the line is still on stdout.
  events.append(bisectId, 'log', rest).catch(() => {});
}
