import type { Sample } from '@kbisect/core';
import { OracleOutputInvalid } from './errors/oracle-output-invalid.js';
import { SpliceBenchFailed, spliceBenchFailureKind } from './errors/splice-bench-failed.js';
import type { Runner } from './runner.js';
import { MS_PER_SECOND, type SpliceMeasure, stalledMsPerSecond } from './splice-measure.js';

export const SPLICE_BENCH_PATTERNS = ['bulk', 'rr'] as const;
export const SPLICE_BENCH_MODES = ['splice', 'splice-nomore', 'send', 'send-nomore'] as const;
export const SPLICE_LENS = ['remaining', 'over'] as const;
export const MORE_POLICIES = ['all-but-last', 'all', 'none'] as const;
export const PIPE_SOURCES = ['file', 'vmsplice'] as const;
export const STALL_BUCKETS = ['30-35', '35-60', '60-180', '180-300', '300+'] as const;

export type SpliceBenchPattern = (typeof SPLICE_BENCH_PATTERNS)[number];
export type SpliceBenchMode = (typeof SPLICE_BENCH_MODES)[number];
export type SpliceLen = (typeof SPLICE_LENS)[number];
export type MorePolicy = (typeof MORE_POLICIES)[number];
export type PipeSource = (typeof PIPE_SOURCES)[number];
export type StallBucket = (typeof STALL_BUCKETS)[number];

/** The flags of splice-bench, one field per flag; absent fields keep the program's default. */
export interface SpliceBenchOptions {
  pattern?: SpliceBenchPattern;
  mode?: SpliceBenchMode;
  /** bulk: transfer this many bytes instead of running for a duration. */
  bytes?: number;
  durationSeconds?: number;
  responseSize?: number;
  requestSize?: number;
  /** Bytes fed into the pipe per piece. */
  chunk?: number;
  spliceLen?: SpliceLen;
  more?: MorePolicy;
  source?: PipeSource;
  ipv6?: boolean;
  port?: number;
  /** Set lo's MTU for the run (needs CAP_NET_ADMIN; restored afterwards). */
  mtu?: number;
  /** No byte for this long = `hang: true`. */
  timeoutSeconds?: number;
  /** Test only: the server stops sending after this many bytes, provoking a hang. */
  testStopSendingAfter?: number;
}

export interface SpliceBenchResult {
  tool: 'splice-bench';
  version: 1;
  pattern: SpliceBenchPattern;
  mode: SpliceBenchMode;
  bytes: number;
  seconds: number;
  throughput: { bytesPerSec: number; gbitPerSec: number };
  /** rr only; null for bulk. */
  transactions: number | null;
  transactionsPerSec: number | null;
  hang: boolean;
  stalls: {
    thresholdMs: number;
    count: number;
    buckets: Record<StallBucket, number>;
    longestGapMs: number;
    /** Sum of the gaps at or above the threshold, a hang's final wait included. */
    stalledMs: number;
  };
  /** Deltas of the network namespace's counters over the run; null where not readable. */
  retransmits: number | null;
  delayedAcks: number | null;
  kernel: string;
  loMtu: number | null;
  /** The receiver's estimate of the server's segment size: shows the effect of --mtu. */
  rcvMss: number | null;
  mtuSet: boolean;
  mtuReason: string;
  options: {
    bytes: number | null;
    duration: number | null;
    responseSize: number;
    requestSize: number;
    chunk: number;
    spliceLen: SpliceLen;
    more: MorePolicy;
    source: PipeSource;
    ipv6: boolean;
    port: number;
    mtu: number | null;
    timeout: number;
    testStopSendingAfter?: number;
  };
}

function count(name: string, value: number | undefined): string[] {
  if (value === undefined) return [];
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`splice-bench option ${name} must be a non-negative integer: ${value}`);
  }
  return [`--${name}`, String(value)];
}

function seconds(name: string, value: number | undefined): string[] {
  if (value === undefined) return [];
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`splice-bench option ${name} must be a positive number: ${value}`);
  }
  return [`--${name}`, String(value)];
}

function word(name: string, value: string | undefined): string[] {
  return value === undefined ? [] : [`--${name}`, value];
}

/** The argv (without the program) that asks splice-bench for `options`. */
export function spliceBenchArgs(options: SpliceBenchOptions): string[] {
  return [
    ...word('pattern', options.pattern),
    ...word('mode', options.mode),
    ...count('bytes', options.bytes),
    ...seconds('duration', options.durationSeconds),
    ...count('response-size', options.responseSize),
    ...count('request-size', options.requestSize),
    ...count('chunk', options.chunk),
    ...word('splice-len', options.spliceLen),
    ...word('more', options.more),
    ...word('source', options.source),
    ...(options.ipv6 ? ['--ipv6'] : []),
    ...count('port', options.port),
    ...count('mtu', options.mtu),
    ...seconds('timeout', options.timeoutSeconds),
    ...count('test-stop-sending-after', options.testStopSendingAfter),
  ];
}

type Json = Record<string, unknown>;

/** Checks one JSON object against the shape splice-bench promises, field by field. */
class ShapeCheck {
  constructor(private readonly line: string) {}

  fail(reason: string): never {
    throw new OracleOutputInvalid(this.line, reason);
  }

  object(parent: Json, key: string): Json {
    const value = parent[key];
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(`${key} is not an object`);
    }
    return value as Json;
  }

  number(parent: Json, key: string): number {
    const value = parent[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      this.fail(`${key} is not a non-negative number`);
    }
    return value;
  }

  numberOrNull(parent: Json, key: string): number | null {
    return parent[key] === null ? null : this.number(parent, key);
  }

  boolean(parent: Json, key: string): boolean {
    const value = parent[key];
    if (typeof value !== 'boolean') this.fail(`${key} is not a boolean`);
    return value;
  }

  string(parent: Json, key: string): string {
    const value = parent[key];
    if (typeof value !== 'string') this.fail(`${key} is not a string`);
    return value;
  }

  oneOf<T extends string>(parent: Json, key: string, allowed: readonly T[]): T {
    const value = this.string(parent, key);
    if (!(allowed as readonly string[]).includes(value)) {
      this.fail(`${key} is ${JSON.stringify(value)}, not one of ${allowed.join(', ')}`);
    }
    return value as T;
  }
}

/**
 * Reads splice-bench's one line of JSON. Anything else on stdout (several lines, a
 * banner, a truncated line) means the result cannot be trusted, so it is an error.
 */
export function parseSpliceBenchOutput(stdout: string): SpliceBenchResult {
  const lines = stdout.split('\n').filter((line) => line.trim() !== '');
  const line = lines[0] ?? '';
  const check = new ShapeCheck(stdout);
  if (lines.length !== 1) check.fail(`expected one line of JSON, got ${lines.length} lines`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    check.fail(`not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    check.fail('not a JSON object');
  }
  const root = parsed as Json;
  if (root.tool !== 'splice-bench' || root.version !== 1) {
    check.fail('not splice-bench output of version 1');
  }
  const pattern = check.oneOf(root, 'pattern', SPLICE_BENCH_PATTERNS);
  const throughput = check.object(root, 'throughput');
  const stalls = check.object(root, 'stalls');
  const buckets = check.object(stalls, 'buckets');
  const options = check.object(root, 'options');
  const transactions = check.numberOrNull(root, 'transactions');
  const transactionsPerSec = check.numberOrNull(root, 'transactionsPerSec');
  if (pattern === 'rr' && (transactions === null || transactionsPerSec === null)) {
    check.fail('an rr result without transactions');
  }
  const result: SpliceBenchResult = {
    tool: 'splice-bench',
    version: 1,
    pattern,
    mode: check.oneOf(root, 'mode', SPLICE_BENCH_MODES),
    bytes: check.number(root, 'bytes'),
    seconds: check.number(root, 'seconds'),
    throughput: {
      bytesPerSec: check.number(throughput, 'bytesPerSec'),
      gbitPerSec: check.number(throughput, 'gbitPerSec'),
    },
    transactions,
    transactionsPerSec,
    hang: check.boolean(root, 'hang'),
    stalls: {
      thresholdMs: check.number(stalls, 'thresholdMs'),
      count: check.number(stalls, 'count'),
      buckets: Object.fromEntries(
        STALL_BUCKETS.map((bucket) => [bucket, check.number(buckets, bucket)]),
      ) as Record<StallBucket, number>,
      longestGapMs: check.number(stalls, 'longestGapMs'),
      stalledMs: check.number(stalls, 'stalledMs'),
    },
    retransmits: check.numberOrNull(root, 'retransmits'),
    delayedAcks: check.numberOrNull(root, 'delayedAcks'),
    kernel: check.string(root, 'kernel'),
    loMtu: check.numberOrNull(root, 'loMtu'),
    rcvMss: check.numberOrNull(root, 'rcvMss'),
    mtuSet: check.boolean(root, 'mtuSet'),
    mtuReason: check.string(root, 'mtuReason'),
    options: {
      bytes: check.numberOrNull(options, 'bytes'),
      duration: check.numberOrNull(options, 'duration'),
      responseSize: check.number(options, 'responseSize'),
      requestSize: check.number(options, 'requestSize'),
      chunk: check.number(options, 'chunk'),
      spliceLen: check.oneOf(options, 'spliceLen', SPLICE_LENS),
      more: check.oneOf(options, 'more', MORE_POLICIES),
      source: check.oneOf(options, 'source', PIPE_SOURCES),
      ipv6: check.boolean(options, 'ipv6'),
      port: check.number(options, 'port'),
      mtu: check.numberOrNull(options, 'mtu'),
      timeout: check.number(options, 'timeout'),
    },
  };
  if (options.testStopSendingAfter !== undefined) {
    result.options.testStopSendingAfter = check.number(options, 'testStopSendingAfter');
  }
  return result;
}

export interface RunSpliceBenchOptions {
  /** Outer limit for the whole run; by default derived from the duration and timeout. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Longest a healthy run can take: the workload, one stall timeout for the response in
 * flight and one for connecting, plus slack for process start-up on a slow lab (TCG).
 * splice-bench ends itself well before this; hitting it means the program is stuck.
 */
function defaultTimeoutMs(options: SpliceBenchOptions): number {
  const timeout = options.timeoutSeconds ?? 10;
  const workload = options.durationSeconds ?? (options.bytes !== undefined ? 300 : 2);
  return Math.ceil((workload + 2 * timeout + 10) * 1000);
}

/**
 * Runs splice-bench through `runner` and returns its result. A hang is a result
 * (`hang: true`); every way of producing no result is a `SpliceBenchFailed`.
 */
export async function runSpliceBench(
  runner: Runner,
  binaryPath: string,
  options: SpliceBenchOptions,
  runOptions: RunSpliceBenchOptions = {},
): Promise<SpliceBenchResult> {
  const timeoutMs = runOptions.timeoutMs ?? defaultTimeoutMs(options);
  const run = await runner.run([binaryPath, ...spliceBenchArgs(options)], {
    timeoutMs,
    signal: runOptions.signal,
  });
  const stderrTail = run.stderr.trimEnd().split('\n').slice(-20).join('\n');
  if (run.timedOut) {
    throw new SpliceBenchFailed(
      'timed-out',
      run.exitCode,
      stderrTail,
      `no end after ${timeoutMs} ms`,
    );
  }
  if (run.exitCode === null) {
    throw new SpliceBenchFailed('killed', null, stderrTail, `killed by ${run.signal}`);
  }
  if (run.exitCode !== 0) {
    const kind = spliceBenchFailureKind(run.exitCode);
    throw new SpliceBenchFailed(kind, run.exitCode, stderrTail, `exit code ${run.exitCode}`);
  }
  return parseSpliceBenchOutput(run.stdout);
}

/**
 * One sample for the bisect's statistics, in the unit of `measure` (see splice-measure.ts).
 * `rate`: transactions/s for rr (the pattern that shows the stalls), bytes/s for bulk; higher
 * is better; a hang is value 0. `stalls`: milliseconds stalled per second of the run; lower
 * is better; a hang is the whole run stalled (1000). Either way a hang is `hang: true`, so
 * it counts as bad however the threshold is set. The whole result is kept as detail.
 */
export function spliceBenchSample(
  result: SpliceBenchResult,
  measure: SpliceMeasure = 'rate',
): Sample {
  const unit =
    measure === 'stalls' ? 'ms/s' : result.pattern === 'rr' ? 'transactions/s' : 'bytes/s';
  const detail = { unit, ...result };
  if (measure === 'stalls') {
    const value = result.hang ? MS_PER_SECOND : stalledMsPerSecond(result);
    return { value, seconds: result.seconds, ...(result.hang ? { hang: true } : {}), detail };
  }
  if (result.hang) return { value: 0, seconds: result.seconds, hang: true, detail };
  const value =
    result.pattern === 'rr' ? (result.transactionsPerSec ?? 0) : result.throughput.bytesPerSec;
  return { value, seconds: result.seconds, detail };
}
