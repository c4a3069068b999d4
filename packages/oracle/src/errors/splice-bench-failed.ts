/**
 * Why splice-bench gave no result. A hang is NOT one of these: it is a result
 * (`hang: true`, exit 0). These are failures of the measurement itself, so a caller can
 * tell "this kernel cannot splice into TCP" from "the lab or the arguments are broken".
 */
export type SpliceBenchFailureKind =
  | 'system-error'
  | 'bad-arguments'
  | 'splice-unsupported'
  | 'socket-error'
  | 'watchdog'
  | 'killed'
  | 'timed-out'
  | 'unknown-exit';

/** The exit codes documented at the top of splice-bench.c. */
const KIND_BY_EXIT_CODE: Readonly<Record<number, SpliceBenchFailureKind>> = {
  1: 'system-error',
  2: 'bad-arguments',
  3: 'splice-unsupported',
  4: 'socket-error',
  5: 'watchdog',
};

export function spliceBenchFailureKind(exitCode: number): SpliceBenchFailureKind {
  return KIND_BY_EXIT_CODE[exitCode] ?? 'unknown-exit';
}

export class SpliceBenchFailed extends Error {
  override readonly name = 'SpliceBenchFailed';

  constructor(
    readonly kind: SpliceBenchFailureKind,
    readonly exitCode: number | null,
    readonly stderrTail: string,
    detail: string,
  ) {
    super(`splice-bench failed (${kind}): ${detail}${stderrTail ? `\n${stderrTail}` : ''}`);
  }
}
