import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * Progress goes to stderr so stdout stays clean for `--json`. People get pino-pretty lines;
 * `--log-format json` gives the same records as pino JSON for log collectors.
 */
export function createLogger(level: LogLevel, format: 'pretty' | 'json' = 'pretty'): Logger {
  const options = { level, redact: ['token', '*.token', 'headers.authorization'] };
  if (format === 'json') return pino(options, pino.destination({ fd: 2, sync: true }));
  return pino(
    options,
    pretty({
      destination: 2,
      sync: true,
      colorize: process.stderr.isTTY,
      translateTime: 'HH:MM:ss',
      ignore: 'pid,hostname',
      singleLine: true,
    }),
  );
}
