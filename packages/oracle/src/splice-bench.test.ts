import { describe, expect, it } from 'vitest';
import { OracleOutputInvalid } from './errors/oracle-output-invalid.js';
import { SpliceBenchFailed } from './errors/splice-bench-failed.js';
import type { Runner, RunOptions, RunResult } from './runner.js';
import {
  parseSpliceBenchOutput,
  runSpliceBench,
  type SpliceBenchResult,
  spliceBenchArgs,
  spliceBenchSample,
} from './splice-bench.js';

// Lines printed by splice-bench on this host (kernel 6.18), kept verbatim but for stalledMs,
// added later (the sum of the stalls: 0, and the one 36 ms stall).
const RR_LINE =
  '{"tool":"splice-bench","version":1,"pattern":"rr","mode":"splice","bytes":270974976,"seconds":0.300005,"throughput":{"bytesPerSec":903235128.0,"gbitPerSec":7.225881},"transactions":16539,"transactionsPerSec":55129.097,"hang":false,"stalls":{"thresholdMs":30,"count":0,"buckets":{"30-35":0,"35-60":0,"60-180":0,"180-300":0,"300+":0},"longestGapMs":2.379,"stalledMs":0.000},"retransmits":0,"delayedAcks":0,"kernel":"6.18.44-fc-v595","loMtu":65536,"rcvMss":16384,"mtuSet":false,"mtuReason":"not requested","options":{"bytes":null,"duration":0.3,"responseSize":16384,"requestSize":128,"chunk":16384,"spliceLen":"over","more":"all-but-last","source":"file","ipv6":false,"port":39339,"mtu":null,"timeout":10}}';
const BULK_LINE =
  '{"tool":"splice-bench","version":1,"pattern":"bulk","mode":"splice","bytes":578762867,"seconds":0.327546,"throughput":{"bytesPerSec":1766965856.5,"gbitPerSec":14.135727},"transactions":null,"transactionsPerSec":null,"hang":false,"stalls":{"thresholdMs":30,"count":1,"buckets":{"30-35":0,"35-60":1,"60-180":0,"180-300":0,"300+":0},"longestGapMs":36.419,"stalledMs":36.419},"retransmits":1,"delayedAcks":0,"kernel":"6.18.44-fc-v595","loMtu":65536,"rcvMss":65483,"mtuSet":false,"mtuReason":"not requested","options":{"bytes":null,"duration":0.3,"responseSize":65536,"requestSize":128,"chunk":16384,"spliceLen":"over","more":"all-but-last","source":"file","ipv6":false,"port":41595,"mtu":null,"timeout":10}}';

function edited(line: string, edit: (json: Record<string, unknown>) => void): string {
  const json = JSON.parse(line) as Record<string, unknown>;
  edit(json);
  return JSON.stringify(json);
}

/** A runner that answers with one scripted result and remembers what it was asked. */
function scriptedRunner(result: Partial<RunResult>) {
  const calls: { argv: readonly string[]; options: RunOptions }[] = [];
  const runner: Runner = {
    async run(argv, options) {
      calls.push({ argv, options });
      return {
        exitCode: 0,
        signal: null,
        stdout: '',
        stderr: '',
        durationMs: 10,
        timedOut: false,
        ...result,
      };
    },
  };
  return { runner, calls };
}

describe('spliceBenchArgs', () => {
  it('turns every option into the flag splice-bench knows', () => {
    expect(
      spliceBenchArgs({
        pattern: 'rr',
        mode: 'send',
        durationSeconds: 1.5,
        responseSize: 65536,
        requestSize: 100,
        chunk: 16384,
        spliceLen: 'remaining',
        more: 'all',
        source: 'vmsplice',
        ipv6: true,
        port: 0,
        mtu: 16384,
        timeoutSeconds: 5,
        testStopSendingAfter: 1000,
      }),
    ).toEqual([
      '--pattern',
      'rr',
      '--mode',
      'send',
      '--duration',
      '1.5',
      '--response-size',
      '65536',
      '--request-size',
      '100',
      '--chunk',
      '16384',
      '--splice-len',
      'remaining',
      '--more',
      'all',
      '--source',
      'vmsplice',
      '--ipv6',
      '--port',
      '0',
      '--mtu',
      '16384',
      '--timeout',
      '5',
      '--test-stop-sending-after',
      '1000',
    ]);
  });

  it('leaves out what was not asked, so the program keeps its defaults', () => {
    expect(spliceBenchArgs({})).toEqual([]);
    expect(spliceBenchArgs({ pattern: 'bulk', bytes: 1024, ipv6: false })).toEqual([
      '--pattern',
      'bulk',
      '--bytes',
      '1024',
    ]);
  });

  it('refuses sizes that are not whole byte counts and durations that are not positive', () => {
    expect(() => spliceBenchArgs({ bytes: 1.5 })).toThrow(RangeError);
    expect(() => spliceBenchArgs({ responseSize: -1 })).toThrow(RangeError);
    expect(() => spliceBenchArgs({ durationSeconds: 0 })).toThrow(RangeError);
  });
});

describe('parseSpliceBenchOutput', () => {
  it('reads an rr result with its transactions and stall histogram', () => {
    const result = parseSpliceBenchOutput(`${RR_LINE}\n`);
    expect(result.pattern).toBe('rr');
    expect(result.transactionsPerSec).toBe(55129.097);
    expect(result.stalls.buckets['35-60']).toBe(0);
    expect(result.stalls.stalledMs).toBe(0);
    expect(result.options.spliceLen).toBe('over');
    expect(result.kernel).toBe('6.18.44-fc-v595');
  });

  it('reads a bulk result, where transactions are null', () => {
    const result = parseSpliceBenchOutput(BULK_LINE);
    expect(result.transactions).toBeNull();
    expect(result.throughput.bytesPerSec).toBe(1766965856.5);
    expect(result.stalls.buckets['35-60']).toBe(1);
  });

  it('rejects a line that is not JSON and keeps the line in the error', () => {
    const error = (() => {
      try {
        parseSpliceBenchOutput('{"tool":"splice-bench","vers');
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(OracleOutputInvalid);
    expect((error as OracleOutputInvalid).line).toBe('{"tool":"splice-bench","vers');
  });

  it('rejects more than one line, because the result would be ambiguous', () => {
    expect(() => parseSpliceBenchOutput(`${RR_LINE}\n${RR_LINE}\n`)).toThrow(/one line/);
    expect(() => parseSpliceBenchOutput('')).toThrow(OracleOutputInvalid);
  });

  it('rejects a result with a missing or mistyped field', () => {
    const noHang = edited(RR_LINE, (json) => {
      delete json.hang;
    });
    expect(() => parseSpliceBenchOutput(noHang)).toThrow(/hang is not a boolean/);
    const badBucket = edited(RR_LINE, (json) => {
      (json.stalls as { buckets: Record<string, unknown> }).buckets['180-300'] = '1';
    });
    expect(() => parseSpliceBenchOutput(badBucket)).toThrow(/180-300/);
    const noStalledTime = edited(RR_LINE, (json) => {
      delete (json.stalls as Record<string, unknown>).stalledMs;
    });
    expect(() => parseSpliceBenchOutput(noStalledTime)).toThrow(/stalledMs is not a non-negative/);
    const badMode = edited(RR_LINE, (json) => {
      json.mode = 'sendfile';
    });
    expect(() => parseSpliceBenchOutput(badMode)).toThrow(/mode/);
  });

  it('rejects an rr result without transactions and output of another program', () => {
    const rrWithout = edited(RR_LINE, (json) => {
      json.transactions = null;
    });
    expect(() => parseSpliceBenchOutput(rrWithout)).toThrow(/without transactions/);
    expect(() => parseSpliceBenchOutput('{"tool":"iperf3"}')).toThrow(/splice-bench/);
  });
});

describe('spliceBenchSample', () => {
  it('measures rr in transactions per second and keeps the whole result as detail', () => {
    const result = parseSpliceBenchOutput(RR_LINE);
    const sample = spliceBenchSample(result);
    expect(sample.value).toBe(55129.097);
    expect(sample.seconds).toBe(0.300005);
    expect(sample.hang).toBeUndefined();
    expect(sample.detail).toMatchObject({ unit: 'transactions/s', kernel: '6.18.44-fc-v595' });
    expect(sample.detail?.stalls).toEqual(result.stalls);
  });

  it('measures bulk in bytes per second', () => {
    const sample = spliceBenchSample(parseSpliceBenchOutput(BULK_LINE));
    expect(sample.value).toBe(1766965856.5);
    expect(sample.detail?.unit).toBe('bytes/s');
  });

  it('turns a hang into value 0 and hang: true, whatever moved before it', () => {
    const hung: SpliceBenchResult = { ...parseSpliceBenchOutput(RR_LINE), hang: true };
    const sample = spliceBenchSample(hung);
    expect(sample.value).toBe(0);
    expect(sample.hang).toBe(true);
  });
});

describe('spliceBenchSample, measuring stalls', () => {
  it('gives the stalled milliseconds per second of the run, lower being better', () => {
    const bulk = parseSpliceBenchOutput(BULK_LINE);
    const sample = spliceBenchSample(bulk, 'stalls');
    // One 36.4 ms stall in a 0.33 s run.
    expect(sample.value).toBeCloseTo(36.419 / 0.327546, 6);
    expect(sample.seconds).toBe(0.327546);
    expect(sample.hang).toBeUndefined();
    expect(sample.detail).toMatchObject({ unit: 'ms/s', stalls: bulk.stalls });
    expect(spliceBenchSample(parseSpliceBenchOutput(RR_LINE), 'stalls').value).toBe(0);
  });

  it('counts a hang as the whole run stalled, and says it hung', () => {
    // The 3.7 logic: one response, then a tail that is never sent until the 5 s timeout.
    const hung = parseSpliceBenchOutput(
      edited(RR_LINE, (json) => {
        json.hang = true;
        json.seconds = 5.02;
        (json.stalls as Record<string, unknown>).stalledMs = 5000.4;
      }),
    );
    expect(spliceBenchSample(hung, 'stalls')).toMatchObject({ value: 1000, hang: true });
  });

  it('never exceeds 1000 ms/s when rounding puts the stalls past the run', () => {
    const all = parseSpliceBenchOutput(
      edited(RR_LINE, (json) => {
        json.seconds = 1.036689;
        (json.stalls as Record<string, unknown>).stalledMs = 1036.7;
      }),
    );
    expect(spliceBenchSample(all, 'stalls').value).toBe(1000);
  });
});

describe('runSpliceBench', () => {
  it('runs the binary with the options as flags and parses its line', async () => {
    const { runner, calls } = scriptedRunner({ stdout: `${RR_LINE}\n` });
    const result = await runSpliceBench(runner, '/opt/splice-bench', {
      pattern: 'rr',
      durationSeconds: 2,
      timeoutSeconds: 5,
    });
    expect(result.transactions).toBe(16539);
    expect(calls[0]?.argv).toEqual([
      '/opt/splice-bench',
      '--pattern',
      'rr',
      '--duration',
      '2',
      '--timeout',
      '5',
    ]);
    // The duration, a stall timeout for the transfer and one for connecting, 10 s slack.
    expect(calls[0]?.options.timeoutMs).toBe(22_000);
  });

  it.each([
    [2, 'bad-arguments'],
    [3, 'splice-unsupported'],
    [4, 'socket-error'],
    [5, 'watchdog'],
    [1, 'system-error'],
    [42, 'unknown-exit'],
  ])('reports exit code %i as a %s failure with the stderr tail', async (exitCode, kind) => {
    const stderr = 'splice-bench: server: splice into a TCP socket is not supported here\n';
    const { runner } = scriptedRunner({ exitCode, stderr });
    const failure = runSpliceBench(runner, 'splice-bench', {});
    await expect(failure).rejects.toBeInstanceOf(SpliceBenchFailed);
    await expect(failure).rejects.toMatchObject({ kind, exitCode, stderrTail: stderr.trim() });
  });

  it('reports a run the runner had to kill as timed out, not as a hang', async () => {
    const { runner } = scriptedRunner({ exitCode: null, signal: 'SIGKILL', timedOut: true });
    await expect(
      runSpliceBench(runner, 'splice-bench', {}, { timeoutMs: 100 }),
    ).rejects.toMatchObject({ kind: 'timed-out' });
  });

  it('reports a program killed by a signal', async () => {
    const { runner } = scriptedRunner({ exitCode: null, signal: 'SIGSEGV' });
    await expect(runSpliceBench(runner, 'splice-bench', {})).rejects.toMatchObject({
      kind: 'killed',
      message: expect.stringContaining('SIGSEGV'),
    });
  });
});
