import type { CcacheMode } from '@kbisect/build';
import type { DecisionSpec } from '@kbisect/contracts';
import {
  type BootFailureVerdict,
  type Direction,
  RECOMMENDED_CALIBRATION_SAMPLES,
} from '@kbisect/core';
import { DEFAULT_SPLICE_MEASURE, type OracleSpec, spliceMeasureDirection } from '@kbisect/oracle';
import { parseOracleSpec, withOracleFiles, withSpliceMeasure } from '../local/oracle-spec.js';
import type { LogLevel } from '../logger.js';
import { UsageError } from '../usage-error.js';

const CCACHE_MODES = ['auto', 'on', 'off'] as const;

function ccacheOf(flag: string | undefined): CcacheMode {
  if (flag === undefined) return 'auto';
  if (!(CCACHE_MODES as readonly string[]).includes(flag)) {
    throw new UsageError(`--ccache '${flag}': expected one of ${CCACHE_MODES.join(', ')}`);
  }
  return flag as CcacheMode;
}

/** The raw options commander hands over for `kbisect run`. */
export interface RunFlags {
  repo: string;
  good: string[];
  bad: string;
  build?: string;
  buildTimeout: string;
  ccache?: string;
  /** Required by `run`; `start` and `watch add` may name a `recipe` instead. */
  oracle?: string;
  recipe?: string;
  oracleFile?: string[];
  spliceMeasure?: string;
  oracleTimeout: string;
  higherIsBetter?: boolean;
  lowerIsBetter?: boolean;
  threshold?: string;
  samples?: string;
  maxSamples?: string;
  calibrationSamples?: string;
  alpha?: string;
  minEffect?: string;
  bootFailure?: string;
  parallelTests?: string;
  firstParent?: boolean;
  confirm: boolean;
  json?: boolean;
  junit?: string;
  markdown?: string;
  logLevel: string;
  logFormat: string;
  cacheDir?: string;
}

/** `kbisect run` options after validation: every field means what it says. */
export interface RunOptions {
  repo: string;
  goods: string[];
  bad: string;
  build?: string;
  buildTimeoutMs: number;
  /** ccache in front of the build command's CC and CXX. */
  ccache: CcacheMode;
  oracle: OracleSpec;
  oracleTimeoutMs: number;
  direction: Direction;
  threshold?: number;
  samples?: number;
  maxSamples?: number;
  calibrationSamples: number;
  alpha?: number;
  minEffect?: number;
  /** Only for a bisect on a lab (`kbisect start --lab`): see `localRunOptions`. */
  bootFailure?: BootFailureVerdict;
  /** Commits tested at once (the spec's `parallelTests`); absent: as the target allows. */
  parallelTests?: number;
  firstParent: boolean;
  confirm: boolean;
  json: boolean;
  junit?: string;
  markdown?: string;
  logLevel: LogLevel;
  logFormat: 'pretty' | 'json';
  cacheDir?: string;
}

function number(
  flag: string,
  text: string | undefined,
  check: (n: number) => boolean,
  what: string,
) {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || !check(value)) {
    throw new UsageError(`${flag} '${text}': expected ${what}`);
  }
  return value;
}

const positiveInt = (n: number) => Number.isInteger(n) && n > 0;

/** The spec's bound on `parallelTests`. */
const MAX_PARALLEL_TESTS = 64;

/** The direction the flags give, if any. */
function givenDirection(flags: RunFlags): Direction | undefined {
  if (flags.higherIsBetter && flags.lowerIsBetter) {
    throw new UsageError('--higher-is-better and --lower-is-better exclude each other; pick one');
  }
  return flags.lowerIsBetter
    ? 'lower-is-better'
    : flags.higherIsBetter
      ? 'higher-is-better'
      : undefined;
}

/**
 * The direction flags, or the oracle's own direction where it has one: splice-loopback's
 * rate is higher-is-better and its stalled time lower-is-better, whatever is said; a flag
 * that says otherwise is a mistake and is refused rather than silently overridden.
 */
function directionOf(flags: RunFlags, oracle: OracleSpec): Direction {
  const given = givenDirection(flags);
  if (oracle.kind !== 'splice-loopback') return given ?? 'higher-is-better';
  const measure = oracle.measure ?? DEFAULT_SPLICE_MEASURE;
  const implied = spliceMeasureDirection(measure);
  if (given !== undefined && given !== implied) {
    throw new UsageError(
      measure === 'stalls'
        ? `--${given} contradicts --splice-measure stalls: stalled time is ${implied}, which ` +
            `--splice-measure stalls sets by itself; drop --${given}`
        : `--${given} contradicts --oracle splice-loopback, whose rate (txn/s, bytes/s) is ` +
            `${implied}; to bisect on stalled time, use --splice-measure stalls instead`,
    );
  }
  return implied;
}

/** The options every bisect command shares, all but the oracle and what depends on it. */
export type CommonOptions = Omit<RunOptions, 'oracle' | 'direction' | 'threshold'>;

/** `kbisect start` and `watch add` may name a recipe of the service instead of build and oracle. */
export type ServiceRunOptions =
  | RunOptions
  | (CommonOptions & { recipe: string; direction?: Direction; threshold?: number });

export function parseRunFlags(flags: RunFlags): RunOptions {
  if (flags.oracle === undefined) {
    throw new UsageError("--oracle is required: command:'CMD', metric:'CMD' or splice-loopback");
  }
  const oracle = withOracleFiles(
    withSpliceMeasure(parseOracleSpec(flags.oracle), flags.spliceMeasure),
    flags.oracleFile,
  );
  const direction = directionOf(flags, oracle);
  const threshold = number('--threshold', flags.threshold, Number.isFinite, 'a number');
  if (threshold !== undefined && oracle.kind !== 'metric') {
    throw new UsageError('--threshold applies to --oracle metric:CMD only');
  }
  return {
    ...parseCommonFlags(flags),
    oracle,
    direction,
    ...(threshold !== undefined ? { threshold } : {}),
  };
}

/**
 * The flags of `kbisect start` and `watch add`: an oracle as for `run`, or `--recipe NAME`,
 * whose build and oracle the service takes from its config (a token limited to recipes may
 * send nothing else). With a recipe the direction is sent only when a flag gives it: the
 * recipe's oracle may set its own (splice-loopback's stalls are lower-is-better).
 */
export function parseServiceRunFlags(flags: RunFlags): ServiceRunOptions {
  if (flags.recipe === undefined) return parseRunFlags(flags);
  const brought = [
    ...(flags.oracle !== undefined ? ['--oracle'] : []),
    ...(flags.build !== undefined ? ['--build'] : []),
    ...(flags.oracleFile !== undefined ? ['--oracle-file'] : []),
    ...(flags.spliceMeasure !== undefined ? ['--splice-measure'] : []),
  ];
  if (brought.length > 0) {
    throw new UsageError(
      `--recipe ${flags.recipe} brings the build and the oracle: drop ${brought.join(', ')}`,
    );
  }
  const direction = givenDirection(flags);
  const threshold = number('--threshold', flags.threshold, Number.isFinite, 'a number');
  return {
    ...parseCommonFlags(flags),
    recipe: flags.recipe,
    ...(direction ? { direction } : {}),
    ...(threshold !== undefined ? { threshold } : {}),
  };
}

function parseCommonFlags(flags: RunFlags): CommonOptions {
  const logLevels = ['debug', 'info', 'warn', 'error'];
  if (!logLevels.includes(flags.logLevel)) {
    throw new UsageError(
      `--log-level '${flags.logLevel}': expected one of ${logLevels.join(', ')}`,
    );
  }
  if (flags.logFormat !== 'pretty' && flags.logFormat !== 'json') {
    throw new UsageError(`--log-format '${flags.logFormat}': expected pretty or json`);
  }
  const samples = number('--samples', flags.samples, positiveInt, 'a positive integer');
  const maxSamples = number('--max-samples', flags.maxSamples, positiveInt, 'a positive integer');
  if (samples !== undefined && maxSamples !== undefined && maxSamples < samples) {
    throw new UsageError(`--max-samples ${maxSamples} is below --samples ${samples}`);
  }
  const options: CommonOptions = {
    repo: flags.repo,
    goods: flags.good,
    bad: flags.bad,
    buildTimeoutMs:
      1000 * (number('--build-timeout', flags.buildTimeout, (n) => n > 0, 'seconds > 0') ?? 0),
    oracleTimeoutMs:
      1000 * (number('--oracle-timeout', flags.oracleTimeout, (n) => n > 0, 'seconds > 0') ?? 0),
    calibrationSamples:
      number(
        '--calibration-samples',
        flags.calibrationSamples,
        (n) => positiveInt(n) && n >= 2,
        'an integer ≥ 2',
      ) ?? RECOMMENDED_CALIBRATION_SAMPLES,
    ccache: ccacheOf(flags.ccache),
    firstParent: flags.firstParent ?? false,
    confirm: flags.confirm,
    json: flags.json ?? false,
    logLevel: flags.logLevel as LogLevel,
    logFormat: flags.logFormat as 'pretty' | 'json',
  };
  if (flags.build !== undefined) options.build = flags.build;
  if (samples !== undefined) options.samples = samples;
  if (maxSamples !== undefined) options.maxSamples = maxSamples;
  const alpha = number(
    '--alpha',
    flags.alpha,
    (n) => n > 0 && n < 1,
    'a probability between 0 and 1',
  );
  if (alpha !== undefined) options.alpha = alpha;
  const minEffect = number(
    '--min-effect',
    flags.minEffect,
    (n) => n >= 0 && n < 1,
    'a fraction, e.g. 0.1 for 10%',
  );
  if (minEffect !== undefined) options.minEffect = minEffect;
  if (flags.bootFailure !== undefined) {
    if (flags.bootFailure !== 'skip' && flags.bootFailure !== 'bad') {
      throw new UsageError(`--boot-failure '${flags.bootFailure}': expected skip or bad`);
    }
    options.bootFailure = flags.bootFailure;
  }
  const parallelTests = number(
    '--parallel-tests',
    flags.parallelTests,
    (n) => positiveInt(n) && n <= MAX_PARALLEL_TESTS,
    `a whole number of commits, 1 to ${MAX_PARALLEL_TESTS}`,
  );
  if (parallelTests !== undefined) options.parallelTests = parallelTests;
  if (flags.cacheDir !== undefined) options.cacheDir = flags.cacheDir;
  if (flags.junit !== undefined) options.junit = flags.junit;
  if (flags.markdown !== undefined) options.markdown = flags.markdown;
  return options;
}

/**
 * The options as `kbisect run` takes them: it tests in worktrees on this machine and boots no
 * kernel, so an option about boot failures would silently mean nothing there; it is refused.
 */
export function localRunOptions(options: RunOptions): RunOptions {
  if (options.bootFailure !== undefined) {
    throw new UsageError(
      '--boot-failure applies to a bisect on a lab, which boots each kernel: ' +
        'kbisect run tests in worktrees on this machine; use kbisect start --lab NAME|pool:NAME',
    );
  }
  return options;
}

/**
 * The oracle and the decision of these options in the words of a bisect spec, so that `run`
 * and the service derive the oracle and the policy with the same functions.
 */
export function oracleAndDecisionOf(options: RunOptions): {
  oracle: OracleSpec;
  decision: DecisionSpec;
} {
  const timeoutSeconds = options.oracleTimeoutMs / 1000;
  return { oracle: { ...options.oracle, timeoutSeconds }, decision: decisionOf(options) };
}

/** The decision of any bisect command's options; the direction only where it is known. */
export function decisionOf(options: ServiceRunOptions): DecisionSpec {
  return {
    ...(options.direction !== undefined ? { direction: options.direction } : {}),
    calibrationSamples: options.calibrationSamples,
    ...(options.threshold !== undefined ? { threshold: options.threshold } : {}),
    ...(options.samples !== undefined ? { samples: options.samples } : {}),
    ...(options.maxSamples !== undefined ? { maxSamples: options.maxSamples } : {}),
    ...(options.alpha !== undefined ? { alpha: options.alpha } : {}),
    ...(options.minEffect !== undefined ? { minEffect: options.minEffect } : {}),
  };
}
