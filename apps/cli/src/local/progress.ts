import type { BisectEvent } from '@kbisect/core';
import type { Logger } from 'pino';

const short = (sha: string) => sha.slice(0, 12);

/** Turns loop events into the progress lines a person watches on stderr. */
export function logEvent(log: Logger, event: BisectEvent): void {
  switch (event.type) {
    case 'step':
      if (event.phase === 'bisect') {
        log.info(
          { commit: event.commit, remaining: event.remaining, stepsLeft: event.stepsLeft },
          `testing ${short(event.commit)}: ${event.remaining} candidates left, roughly ${event.stepsLeft} steps`,
        );
      } else {
        log.info(
          { commit: event.commit, phase: event.phase },
          `${event.phase}: testing ${short(event.commit)}`,
        );
      }
      return;
    case 'build':
      log.info(
        { commit: event.commit, ok: event.ok, seconds: event.seconds },
        `  build ${event.ok ? 'ok' : 'FAILED'} in ${event.seconds.toFixed(1)} s`,
      );
      return;
    case 'sample': {
      const what =
        event.hang === true
          ? 'hang'
          : event.value !== undefined
            ? String(event.value)
            : `exit ${event.exitCode}`;
      log.debug(
        { commit: event.commit, sample: event.index, value: event.value },
        `  sample ${event.index + 1}: ${what}`,
      );
      return;
    }
    case 'verdict': {
      const ev = event.entry.evidence;
      const why = ev?.decision?.summary ?? ev?.skipReason ?? ev?.note ?? '';
      log.info(
        { commit: event.entry.commit, verdict: event.entry.verdict, testSeconds: ev?.testSeconds },
        `  ${short(event.entry.commit)} is ${event.entry.verdict}${why ? ` (${why})` : ''}`,
      );
      return;
    }
    case 'done':
      log.info({ result: event.result }, `done: ${event.result.kind}`);
      return;
  }
}
