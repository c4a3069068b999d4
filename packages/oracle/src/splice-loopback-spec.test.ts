import { describe, expect, it } from 'vitest';
import { SpliceLoopbackSpecInvalid } from './errors/splice-loopback-spec-invalid.js';
import { spliceBenchArgs } from './splice-bench.js';
import { parseSpliceLoopbackSpec, SPLICE_LOOPBACK_DEFAULTS } from './splice-loopback-spec.js';

describe('parseSpliceLoopbackSpec', () => {
  it('gives the workload that shows the 3.7 bug class when no flags are given', () => {
    expect(parseSpliceLoopbackSpec('splice-loopback')).toEqual({
      pattern: 'rr',
      responseSize: 65536,
      spliceLen: 'over',
      more: 'all-but-last',
      durationSeconds: 2,
      timeoutSeconds: 5,
    });
    expect(parseSpliceLoopbackSpec('splice-loopback:')).toEqual(SPLICE_LOOPBACK_DEFAULTS);
  });

  it('lets the flags override the defaults, with sizes in K/M/G and --flag=value', () => {
    const options = parseSpliceLoopbackSpec(
      'splice-loopback:--pattern rr --response-size 16K --more=all --mtu 16384 --ipv6 --duration 1.5',
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
    const options = parseSpliceLoopbackSpec('splice-loopback:--pattern bulk --bytes 1G');
    expect(options.bytes).toBe(1024 ** 3);
    expect(options.durationSeconds).toBeUndefined();
    expect(spliceBenchArgs(options)).not.toContain('--duration');
  });

  it('drops the default MORE policy for the modes that never set MORE', () => {
    const options = parseSpliceLoopbackSpec('splice-loopback:--mode send-nomore');
    expect(options.more).toBeUndefined();
    expect(spliceBenchArgs(options)).not.toContain('--more');
  });

  it.each([
    ['splice-loopback:--pattern rr --fast', /unknown flag --fast; known flags: --pattern/],
    ['splice-loopback:--test-stop-sending-after 5', /unknown flag --test-stop-sending-after/],
    ['splice-loopback:--pattern zigzag', /--pattern: "zigzag" is not one of bulk, rr/],
    ['splice-loopback:--response-size 64Q', /--response-size: "64Q" is not a size/],
    ['splice-loopback:--duration -1', /--duration needs a value|--duration: "-1"/],
    ['splice-loopback:--timeout 0', /--timeout: "0" is not a number of seconds/],
    ['splice-loopback:--port 70000', /--port: "70000"/],
    ['splice-loopback:--mode', /--mode needs a value/],
    ['splice-loopback:--mode --ipv6', /--mode needs a value/],
    ['splice-loopback:--ipv6=yes', /--ipv6 takes no value/],
    ['splice-loopback:rr', /unexpected "rr": flags start with --/],
    ['splice-loopback:--more all --more none', /--more is given twice/],
    ['splice-loopback:--pattern rr --bytes 10', /rr runs for --duration/],
    ['splice-loopback:--pattern bulk --bytes 10 --duration 1', /exclude each other/],
    ['splice-loopback:--mode splice-nomore --more all', /contradicts/],
    ['splice-bench:--pattern rr', /expected splice-loopback/],
    ['splice-loopbacks', /expected splice-loopback/],
  ])('rejects %s with a message that names the problem', (spec, message) => {
    expect(() => parseSpliceLoopbackSpec(spec)).toThrow(SpliceLoopbackSpecInvalid);
    expect(() => parseSpliceLoopbackSpec(spec)).toThrow(message);
  });
});
