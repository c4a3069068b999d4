import { describe, expect, it } from 'vitest';
import { SpliceLoopbackSpecInvalid } from './errors/splice-loopback-spec-invalid.js';
import { spliceBenchArgs } from './splice-bench.js';
import { parseSpliceLoopbackArgs, SPLICE_LOOPBACK_DEFAULTS } from './splice-loopback-spec.js';

describe('parseSpliceLoopbackArgs', () => {
  it('gives the workload that shows the 3.7 bug class when no flags are given', () => {
    expect(parseSpliceLoopbackArgs()).toEqual({
      pattern: 'rr',
      responseSize: 65536,
      spliceLen: 'over',
      more: 'all-but-last',
      durationSeconds: 2,
      timeoutSeconds: 5,
    });
    expect(parseSpliceLoopbackArgs('')).toEqual(SPLICE_LOOPBACK_DEFAULTS);
  });

  it('lets the flags override the defaults, with sizes in K/M/G and --flag=value', () => {
    const options = parseSpliceLoopbackArgs(
      '--pattern rr --response-size 16K --more=all --mtu 16384 --ipv6 --duration 1.5',
    );
    expect(options).toMatchObject({
      pattern: 'rr',
      responseSize: 16384,
      more: 'all',
      mtu: 16384,
      ipv6: true,
      durationSeconds: 1.5,
      spliceLen: 'over',
      timeoutSeconds: 5,
    });
  });

  it('drops the default duration when a bulk byte count is asked for', () => {
    const options = parseSpliceLoopbackArgs('--pattern bulk --bytes 1G');
    expect(options.bytes).toBe(1024 ** 3);
    expect(options.durationSeconds).toBeUndefined();
    expect(spliceBenchArgs(options)).not.toContain('--duration');
  });

  it('drops the default MORE policy for the modes that never set MORE', () => {
    const options = parseSpliceLoopbackArgs('--mode send-nomore');
    expect(options.more).toBeUndefined();
    expect(spliceBenchArgs(options)).not.toContain('--more');
  });

  it.each([
    ['--pattern rr --fast', /unknown flag --fast; known flags: --pattern/],
    ['--test-stop-sending-after 5', /unknown flag --test-stop-sending-after/],
    ['--pattern zigzag', /--pattern: "zigzag" is not one of bulk, rr/],
    ['--response-size 64Q', /--response-size: "64Q" is not a size/],
    ['--duration -1', /--duration needs a value|--duration: "-1"/],
    ['--timeout 0', /--timeout: "0" is not a number of seconds/],
    ['--port 70000', /--port: "70000"/],
    ['--mode', /--mode needs a value/],
    ['--mode --ipv6', /--mode needs a value/],
    ['--ipv6=yes', /--ipv6 takes no value/],
    ['rr', /unexpected "rr": flags start with --/],
    ['--more all --more none', /--more is given twice/],
    ['--pattern rr --bytes 10', /rr runs for --duration/],
    ['--pattern bulk --bytes 10 --duration 1', /exclude each other/],
    ['--mode splice-nomore --more all', /contradicts/],
  ])("rejects '%s' with a message that names the problem", (args, message) => {
    expect(() => parseSpliceLoopbackArgs(args)).toThrow(SpliceLoopbackSpecInvalid);
    expect(() => parseSpliceLoopbackArgs(args)).toThrow(message);
  });
});
