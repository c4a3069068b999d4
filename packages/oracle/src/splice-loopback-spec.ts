import { SpliceLoopbackSpecInvalid } from './errors/splice-loopback-spec-invalid.js';
import {
  MORE_POLICIES,
  PIPE_SOURCES,
  SPLICE_BENCH_MODES,
  SPLICE_BENCH_PATTERNS,
  SPLICE_LENS,
  type SpliceBenchOptions,
} from './splice-bench.js';

/**
 * The workload of `--oracle splice-loopback` without arguments: the one that shows the
 * 3.7 bug class (LAB-NOTES). Request/response, because a bulk transfer fills the send
 * buffer and forces the push; 64 KiB responses, which stall at the delayed-ACK timer; an
 * over-long splice, the trigger; MORE on all writes but the last, because MORE on the
 * last write stalls even a healthy kernel. The 5 s timeout turns a tail that is never
 * sent into a hang quickly.
 */
export const SPLICE_LOOPBACK_DEFAULTS: Readonly<SpliceBenchOptions> = Object.freeze({
  pattern: 'rr',
  responseSize: 65536,
  spliceLen: 'over',
  more: 'all-but-last',
  durationSeconds: 2,
  timeoutSeconds: 5,
});

function oneOf<T extends string>(value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new RangeError(`${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
  }
  return value as T;
}

const SUFFIX: Readonly<Record<string, number>> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** A byte count, with the same K/M/G (binary) suffixes splice-bench accepts. */
function size(value: string, min: number, max: number): number {
  const match = /^(\d+)([kKmMgG]?)$/.exec(value);
  const n = match ? Number(match[1]) * (SUFFIX[(match[2] ?? '').toLowerCase()] ?? 1) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new RangeError(`${JSON.stringify(value)} is not a size in ${min}..${max}`);
  }
  return n;
}

function positiveSeconds(value: string): number {
  const n = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (!(n > 0) || n > 3600) {
    throw new RangeError(`${JSON.stringify(value)} is not a number of seconds in (0, 3600]`);
  }
  return n;
}

type FlagParser =
  | { switch: true; parse: () => SpliceBenchOptions }
  | { switch: false; parse: (value: string) => SpliceBenchOptions };

const GIB = 1024 ** 3;

/** The user-facing flags of splice-bench; its test-only flags are deliberately absent. */
const FLAGS: Readonly<Record<string, FlagParser>> = {
  pattern: { switch: false, parse: (v) => ({ pattern: oneOf(v, SPLICE_BENCH_PATTERNS) }) },
  mode: { switch: false, parse: (v) => ({ mode: oneOf(v, SPLICE_BENCH_MODES) }) },
  bytes: { switch: false, parse: (v) => ({ bytes: size(v, 1, 1024 * GIB) }) },
  duration: { switch: false, parse: (v) => ({ durationSeconds: positiveSeconds(v) }) },
  'response-size': { switch: false, parse: (v) => ({ responseSize: size(v, 1, GIB) }) },
  'request-size': { switch: false, parse: (v) => ({ requestSize: size(v, 1, 65536) }) },
  chunk: { switch: false, parse: (v) => ({ chunk: size(v, 1, 16 * 1024 ** 2) }) },
  'splice-len': { switch: false, parse: (v) => ({ spliceLen: oneOf(v, SPLICE_LENS) }) },
  more: { switch: false, parse: (v) => ({ more: oneOf(v, MORE_POLICIES) }) },
  source: { switch: false, parse: (v) => ({ source: oneOf(v, PIPE_SOURCES) }) },
  ipv6: { switch: true, parse: () => ({ ipv6: true }) },
  port: { switch: false, parse: (v) => ({ port: size(v, 0, 65535) }) },
  mtu: { switch: false, parse: (v) => ({ mtu: size(v, 68, 16 * 1024 ** 2) }) },
  timeout: { switch: false, parse: (v) => ({ timeoutSeconds: positiveSeconds(v) }) },
};

/**
 * Parses the flags of a splice-loopback oracle (`oracle.args`, or what follows
 * `--oracle splice-loopback:`): splice-bench flags separated by spaces (`--flag value` or
 * `--flag=value`), over `SPLICE_LOOPBACK_DEFAULTS`. The one parser of these flags: the API,
 * the CLI and the oracle all call it, so everything splice-bench would reject is rejected
 * here already, before a kernel is built for it.
 */
export function parseSpliceLoopbackArgs(args = ''): SpliceBenchOptions {
  // Typed as a `never` function so that TypeScript narrows after each failed check.
  const fail: (reason: string) => never = (reason) => {
    throw new SpliceLoopbackSpecInvalid(`splice-loopback:${args}`, reason);
  };
  const tokens = args.split(/\s+/).filter((token) => token !== '');

  const given: SpliceBenchOptions = {};
  const seen = new Set<string>();
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    if (!token.startsWith('--')) fail(`unexpected ${JSON.stringify(token)}: flags start with --`);
    const eq = token.indexOf('=');
    const name = token.slice(2, eq === -1 ? undefined : eq);
    const flag = FLAGS[name];
    if (!flag) {
      fail(
        `unknown flag --${name}; known flags: ${Object.keys(FLAGS)
          .map((f) => `--${f}`)
          .join(' ')}`,
      );
    }
    if (seen.has(name)) fail(`--${name} is given twice`);
    seen.add(name);
    try {
      if (flag.switch) {
        if (eq !== -1) fail(`--${name} takes no value`);
        Object.assign(given, flag.parse());
      } else {
        const value = eq === -1 ? tokens[++i] : token.slice(eq + 1);
        if (value === undefined || value === '' || (eq === -1 && value.startsWith('--'))) {
          fail(`--${name} needs a value`);
        }
        Object.assign(given, flag.parse(value));
      }
    } catch (error) {
      if (error instanceof RangeError) fail(`--${name}: ${error.message}`);
      throw error;
    }
  }

  const pattern = given.pattern ?? SPLICE_LOOPBACK_DEFAULTS.pattern;
  if (given.bytes !== undefined && given.durationSeconds !== undefined) {
    fail('--bytes and --duration exclude each other');
  }
  if (given.bytes !== undefined && pattern === 'rr') {
    fail('--bytes is for --pattern bulk; rr runs for --duration');
  }
  const nomore = given.mode === 'splice-nomore' || given.mode === 'send-nomore';
  if (nomore && given.more !== undefined && given.more !== 'none') {
    fail(`--mode ${given.mode} never sets MORE; --more ${given.more} contradicts it`);
  }

  const options: SpliceBenchOptions = { ...SPLICE_LOOPBACK_DEFAULTS, ...given };
  // The defaults must not contradict what was asked: a byte count replaces the duration,
  // and the nomore modes reject an explicit --more.
  if (given.bytes !== undefined) delete options.durationSeconds;
  if (nomore && given.more === undefined) delete options.more;
  return options;
}
