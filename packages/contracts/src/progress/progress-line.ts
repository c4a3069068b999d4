import { type BisectEvent, formatDuration } from '@kbisect/core';

/** One progress line: what `kbisect run` prints on stderr and the service logs per bisect. */
export interface ProgressLine {
  level: 'info' | 'debug';
  fields: Record<string, unknown>;
  msg: string;
}

const short = (sha: string) => sha.slice(0, 12);
const timeLeft = (seconds: number | undefined) =>
  seconds === undefined ? '' : `, about ${formatDuration(seconds)} left`;

/** The line a person reads for each event of the bisect loop. */
export function progressLine(event: BisectEvent): ProgressLine {
  switch (event.type) {
    case 'step':
      if (event.commits && event.commits.length > 1) {
        const what = event.phase === 'bisect' ? '' : `${event.phase}: `;
        return {
          level: 'info',
          fields: {
            commits: event.commits,
            phase: event.phase,
            remaining: event.remaining,
            roundsLeft: event.stepsLeft,
            ...(event.secondsLeft !== undefined ? { secondsLeft: event.secondsLeft } : {}),
          },
          msg: `${what}testing ${event.commits.length} commits at once (${event.commits.map(short).join(', ')}): ${event.remaining} candidates left, roughly ${event.stepsLeft} rounds${timeLeft(event.secondsLeft)}`,
        };
      }
      if (event.phase === 'bisect') {
        return {
          level: 'info',
          fields: {
            commit: event.commit,
            remaining: event.remaining,
            stepsLeft: event.stepsLeft,
            ...(event.secondsLeft !== undefined ? { secondsLeft: event.secondsLeft } : {}),
          },
          msg: `testing ${short(event.commit)}: ${event.remaining} candidates left, roughly ${event.stepsLeft} steps${timeLeft(event.secondsLeft)}`,
        };
      }
      return {
        level: 'info',
        fields: {
          commit: event.commit,
          phase: event.phase,
          ...(event.secondsLeft !== undefined ? { secondsLeft: event.secondsLeft } : {}),
        },
        msg: `${event.phase}: testing ${short(event.commit)}${timeLeft(event.secondsLeft)}`,
      };
    case 'build':
      return {
        level: 'info',
        fields: { commit: event.commit, ok: event.ok, seconds: event.seconds },
        msg: `  build ${event.ok ? 'ok' : 'FAILED'} in ${event.seconds.toFixed(1)} s`,
      };
    case 'sample': {
      const what =
        event.hang === true
          ? 'hang'
          : event.value !== undefined
            ? String(event.value)
            : `exit ${event.exitCode}`;
      return {
        level: 'debug',
        fields: { commit: event.commit, sample: event.index, value: event.value },
        msg: `  sample ${event.index + 1}: ${what}`,
      };
    }
    case 'verdict': {
      const ev = event.entry.evidence;
      const why = ev?.decision?.summary ?? ev?.skipReason ?? ev?.badReason ?? ev?.note ?? '';
      return {
        level: 'info',
        fields: {
          commit: event.entry.commit,
          verdict: event.entry.verdict,
          testSeconds: ev?.testSeconds,
        },
        msg: `  ${short(event.entry.commit)} is ${event.entry.verdict}${why ? ` (${why})` : ''}`,
      };
    }
    case 'done':
      return { level: 'info', fields: { result: event.result }, msg: `done: ${event.result.kind}` };
  }
}
