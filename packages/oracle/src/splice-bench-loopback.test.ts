/**
 * splice-bench for real: compiled here, run over this machine's loopback and inside
 * network namespaces the tests create. Runs are short (≤ 1.5 s) and sequential, because
 * two cores shared by a server, a client and the test runner make parallel runs noise.
 * Assertions are on what is robust on a healthy kernel (large factors, timer buckets),
 * not on absolute figures, which vary with the host and its load.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { networkInterfaces, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IP, needs, skipOnHost } from '../../../test/support/requirements.js';
import { SpliceBenchFailed } from './errors/splice-bench-failed.js';
import { oracleFor } from './oracle-for.js';
import { localTarget } from './oracle-target.js';
import { LocalRunner, type Runner } from './runner.js';
import {
  runSpliceBench,
  SPLICE_BENCH_MODES,
  type SpliceBenchOptions,
  type SpliceBenchResult,
  spliceBenchSample,
} from './splice-bench.js';
import { buildSpliceBench } from './splice-bench-build.js';

const runner = new LocalRunner();
let binary = '';

beforeAll(async () => {
  binary = (await buildSpliceBench()).binaryPath;
}, 120_000);

function bench(options: SpliceBenchOptions, via: Runner = runner): Promise<SpliceBenchResult> {
  return runSpliceBench(via, binary, { timeoutSeconds: 5, ...options });
}

/** True when an ELF file asks for a dynamic loader (has a PT_INTERP program header). */
async function hasInterpreter(path: string): Promise<boolean> {
  const elf = await readFile(path);
  expect(elf.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    if (elf.readUInt32LE(phoff + i * phentsize) === 3) return true;
  }
  return false;
}

describe('buildSpliceBench', () => {
  const outDirs: string[] = [];
  afterAll(async () => {
    await Promise.all(outDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('compiles once per source version and then reuses the cached binary', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'kb-splice-build-'));
    outDirs.push(outDir);
    const first = await buildSpliceBench({ outDir });
    const second = await buildSpliceBench({ outDir });
    expect(first.cached).toBe(false);
    expect(second).toEqual({ ...first, cached: true });
    expect(first.binaryPath).toContain(first.sourceHash);
    const help = await runner.run([first.binaryPath, '--help'], { timeoutMs: 5000 });
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('--splice-len remaining|over');
  });

  it('builds a static binary for a lab machine without a compiler', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'kb-splice-build-'));
    outDirs.push(outDir);
    const dynamic = await buildSpliceBench({ outDir });
    const built = await buildSpliceBench({ outDir, static: true });
    expect(built.binaryPath).not.toBe(dynamic.binaryPath);
    expect(await hasInterpreter(dynamic.binaryPath)).toBe(true);
    expect(await hasInterpreter(built.binaryPath)).toBe(false);
    const result = await runSpliceBench(runner, built.binaryPath, { durationSeconds: 0.2 });
    expect(result.bytes).toBeGreaterThan(0);
  });
});

describe('splice-bench on loopback', () => {
  it('moves data in bulk in every mode', async () => {
    for (const mode of SPLICE_BENCH_MODES) {
      const result = await bench({ pattern: 'bulk', mode, durationSeconds: 0.4 });
      expect(result).toMatchObject({ pattern: 'bulk', mode, hang: false, transactions: null });
      // Several GB/s here; 10 MB/s is what the 3.7 report called broken.
      expect(result.throughput.bytesPerSec, mode).toBeGreaterThan(50e6);
      expect(result.seconds).toBeGreaterThanOrEqual(0.4);
      expect(result.seconds).toBeLessThan(1);
    }
  });

  it('transfers exactly the bytes asked for and echoes its options and kernel', async () => {
    const result = await bench({ pattern: 'bulk', bytes: 64 * 1024 * 1024, chunk: 65536 });
    expect(result.bytes).toBe(64 * 1024 * 1024);
    expect(result.options).toMatchObject({ bytes: 64 * 1024 * 1024, chunk: 65536, duration: null });
    expect(result.kernel).toBe(release());
    expect(result.mtuSet).toBe(false);
    expect(result.mtuReason).toBe('not requested');
    expect(result.options.port).toBeGreaterThan(0);
  });

  it('answers requests in every mode', async () => {
    // One 16 KiB piece per response: no Nagle interplay (see below), so every mode is fast
    // (7,000-10,000 a second here). A second's run: on a loaded CI host one run of 0.3 s was
    // descheduled for all of it and answered once.
    for (const mode of SPLICE_BENCH_MODES) {
      const result = await bench({
        pattern: 'rr',
        mode,
        responseSize: 16384,
        durationSeconds: 1,
      });
      expect(result).toMatchObject({ pattern: 'rr', mode, hang: false });
      expect(result.transactions, mode).toBeGreaterThan(100);
      expect(result.bytes).toBe((result.transactions ?? 0) * 16384);
      expect(result.options.more).toBe(mode.endsWith('nomore') ? 'none' : 'all-but-last');
    }
  });

  it('without MORE, waits for a delayed ACK on every response written in several pieces', async () => {
    // Nagle holds the second 16 KiB piece until the first is ACKed, and the receiver delays
    // that ACK: the reason servers set MORE, and the reason the oracle's default mode does.
    const withMore = await bench({ pattern: 'rr', mode: 'splice', durationSeconds: 0.3 });
    const without = await bench({ pattern: 'rr', mode: 'splice-nomore', durationSeconds: 0.5 });
    expect(withMore.transactionsPerSec ?? 0).toBeGreaterThan(
      10 * (without.transactionsPerSec ?? 0),
    );
    expect(without.stalls.buckets['35-60']).toBeGreaterThanOrEqual(3);
  });

  it('feeds the pipe by vmsplice as fast as from a file', async () => {
    // A vmsplice of unaligned memory once made every 64 KiB response wait ~40 ms (too many
    // fragments, then Nagle): ~25 responses/s instead of thousands.
    const result = await bench({ pattern: 'rr', source: 'vmsplice', durationSeconds: 0.5 });
    expect(result.options.source).toBe('vmsplice');
    expect(result.transactionsPerSec).toBeGreaterThan(1000);
  });

  const hasIpv6Loopback = Object.values(networkInterfaces())
    .flat()
    .some((address) => address?.internal && address.family === 'IPv6' && address.address === '::1');

  it('talks over ::1 with --ipv6', async (context) => {
    skipOnHost(context, hasIpv6Loopback ? undefined : 'this machine has no ::1 on lo');
    const result = await bench({ pattern: 'rr', ipv6: true, durationSeconds: 0.3 });
    expect(result.options.ipv6).toBe(true);
    expect(result.transactions).toBeGreaterThan(100);
  });
});

describe('the stall pattern of the 3.7 report, on a healthy kernel', () => {
  // LAB-NOTES: MORE on the last write of a response is the application's mistake, and it
  // stalls any kernel at the same timers the 3.7 bug hit. That makes the oracle's stall
  // detection testable without a broken kernel.

  it('waits for the probe timer (~200 ms) when MORE is set on the last write of a 16 KiB response', async () => {
    const healthy = await bench({ pattern: 'rr', responseSize: 16384, durationSeconds: 0.5 });
    const stalled = await bench({
      pattern: 'rr',
      responseSize: 16384,
      more: 'all',
      durationSeconds: 1.2,
    });
    // A healthy run has no probe-timer waits; a loaded CI host can still deschedule it for
    // ~200 ms once (seen at load 13), so one stray gap is allowed and the ratio below decides.
    expect(healthy.stalls.buckets['180-300']).toBeLessThanOrEqual(1);
    expect(stalled.hang).toBe(false);
    expect(stalled.transactionsPerSec).toBeLessThan(10);
    expect(healthy.transactionsPerSec ?? 0).toBeGreaterThan(20 * (stalled.transactionsPerSec ?? 0));
    expect(stalled.stalls.buckets['180-300']).toBeGreaterThanOrEqual(3);
    expect(stalled.stalls.longestGapMs).toBeGreaterThan(180);
    // ~200 ms each; the margin is for a loaded host's scheduling delay on top of the timer.
    expect(stalled.stalls.longestGapMs).toBeLessThan(500);
    // The sum of the stalls: at least 180 ms for each, and within the run.
    expect(stalled.stalls.stalledMs).toBeGreaterThanOrEqual(180 * stalled.stalls.count);
    expect(stalled.stalls.stalledMs).toBeLessThanOrEqual(stalled.seconds * 1000 + 1);
    expect(healthy.stalls.stalledMs).toBeLessThan(stalled.stalls.stalledMs / 3);
  });

  it('waits for delayed ACKs (~40 ms) when MORE is set on the last write of a 64 KiB response', async () => {
    const healthy = await bench({ pattern: 'rr', responseSize: 65536, durationSeconds: 0.5 });
    const stalled = await bench({
      pattern: 'rr',
      responseSize: 65536,
      more: 'all',
      durationSeconds: 1,
    });
    expect(stalled.hang).toBe(false);
    // On this shared 2-core machine the healthy rate swings with load (the ratio was ~5x once
    // with other tests running): the stalls are the steady signal, the rate only a loose one.
    expect(healthy.transactionsPerSec ?? 0).toBeGreaterThan(2 * (stalled.transactionsPerSec ?? 0));
    expect(stalled.stalls.buckets['35-60']).toBeGreaterThanOrEqual(5);
    expect(stalled.stalls.stalledMs).toBeGreaterThan(healthy.stalls.stalledMs + 150);
    if (stalled.delayedAcks !== null) {
      expect(stalled.delayedAcks).toBeGreaterThanOrEqual(stalled.stalls.buckets['35-60'] / 2);
    }
  });
});

describe('the stalls measure of the splice-loopback oracle, on a healthy kernel', () => {
  // The same application mistake as above, measured the way `--splice-measure stalls` does:
  // through the oracle `kbisect run` builds. Its 16 KiB responses wait ~200 ms each for the
  // probe timer, so nearly the whole run is stalls; the default MORE policy stalls never.
  const stallsOracle = (args: string) =>
    oracleFor(
      { kind: 'splice-loopback', args, measure: 'stalls', timeoutSeconds: 30 },
      { target: localTarget(runner), cacheDir: join(tmpdir(), 'kbisect-splice-bench') },
    );
  const context = { commit: 'c'.repeat(40), dir: tmpdir(), signal: new AbortController().signal };

  it('is near 1000 ms/s with MORE on the last write, and 0 without', async () => {
    const stalled = await stallsOracle('--response-size 16K --more all --duration 1');
    expect(stalled.quantity).toEqual({ metric: 'stalled time', unit: 'ms/s' });
    expect(stalled.description).toBe(
      'splice-loopback --response-size 16K --more all --duration 1 (stalls)',
    );
    const bad = await stalled.measure(context);
    const healthy = await (await stallsOracle('--response-size 16K --duration 1')).measure(context);
    expect(bad.hang).toBeUndefined();
    expect(bad.value).toBeGreaterThan(500);
    expect(bad.value).toBeLessThanOrEqual(1000);
    expect(bad.detail).toMatchObject({ unit: 'ms/s', options: { more: 'all' } });
    // A stray 30 ms gap may happen on a loaded host: 0 is what was seen, 10% is the limit.
    expect(healthy.value).toBeLessThan(100);
    expect(healthy.detail).toMatchObject({ options: { more: 'all-but-last' } });
  });
});

describe('a transfer that stops moving', () => {
  it('comes back as a result with hang: true within the timeout (request/response)', async () => {
    const started = Date.now();
    const result = await bench({
      pattern: 'rr',
      durationSeconds: 1,
      timeoutSeconds: 1,
      testStopSendingAfter: 100_000,
    });
    expect(result.hang).toBe(true);
    expect(result.transactions).toBe(1);
    expect(result.bytes).toBe(100_000);
    expect(result.stalls.buckets['300+']).toBe(1);
    expect(result.stalls.longestGapMs).toBeGreaterThanOrEqual(1000);
    // The final wait of a hang is a stall like any other.
    expect(result.stalls.stalledMs).toBeGreaterThanOrEqual(1000);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(spliceBenchSample(result)).toMatchObject({ value: 0, hang: true });
    expect(spliceBenchSample(result, 'stalls')).toMatchObject({ value: 1000, hang: true });
  });

  it('comes back as a result with hang: true within the timeout (bulk)', async () => {
    const result = await bench({
      pattern: 'bulk',
      mode: 'send',
      bytes: 64 * 1024 * 1024,
      timeoutSeconds: 0.5,
      testStopSendingAfter: 1024 * 1024,
    });
    expect(result.hang).toBe(true);
    expect(result.bytes).toBe(1024 * 1024);
    expect(result.seconds).toBeLessThan(2);
  });
});

describe('splice-bench failures', () => {
  let occupied: Server | undefined;
  afterAll(() => {
    occupied?.close();
  });

  it('exits 2 with a message for arguments it cannot honour', async () => {
    const failure = bench({ pattern: 'rr', bytes: 1024 });
    await expect(failure).rejects.toBeInstanceOf(SpliceBenchFailed);
    await expect(failure).rejects.toMatchObject({
      kind: 'bad-arguments',
      exitCode: 2,
      stderrTail: expect.stringContaining('rr runs for --duration'),
    });
  });

  it('exits 4 with a message when its port is taken', async () => {
    const server = createServer();
    occupied = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    await expect(bench({ port, durationSeconds: 0.2 })).rejects.toMatchObject({
      kind: 'socket-error',
      exitCode: 4,
      stderrTail: expect.stringContaining(`bind 127.0.0.1 port ${port}`),
    });
  });
});

// ---- network namespaces -------------------------------------------------------------------

/** Runs argv inside a network namespace: the Runner seam, as a lab runner will use it. */
function inNamespace(namespace: string): Runner {
  return {
    run: (argv, options) => runner.run(['ip', 'netns', 'exec', namespace, ...argv], options),
  };
}

async function ip(...args: string[]): Promise<string> {
  const result = await runner.run(['ip', ...args], { timeoutMs: 10_000 });
  if (result.exitCode !== 0) throw new Error(`ip ${args.join(' ')}: ${result.stderr.trim()}`);
  return result.stdout;
}

/** Why namespace tests cannot run here, or undefined when they can. */
async function namespacesUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'network namespace tests need root';
  const probe = await runner
    .run(['ip', 'netns', 'list'], { timeoutMs: 5000 })
    .catch((error: Error) => ({ exitCode: -1, stderr: error.message }));
  if (probe.exitCode !== 0) return `\`ip netns\` is unavailable: ${probe.stderr.trim()}`;
  return undefined;
}

const netnsSkip = await namespacesUnavailable();

/** A fresh namespace with lo up, deleted after `body` whatever happens. */
async function withNamespace<T>(body: (namespace: string) => Promise<T>): Promise<T> {
  const namespace = `kb-test-${randomBytes(4).toString('hex')}`;
  await ip('netns', 'add', namespace);
  try {
    await ip('-n', namespace, 'link', 'set', 'lo', 'up');
    return await body(namespace);
  } finally {
    await ip('netns', 'del', namespace);
  }
}

async function tcInNamespace(namespace: string, ...args: string[]) {
  return runner.run(['ip', 'netns', 'exec', namespace, 'tc', ...args], { timeoutMs: 10_000 });
}

describe('splice-bench inside a network namespace', () => {
  it('slows down behind a 20 ms netem delay', async (context) => {
    needs(context, IP);
    skipOnHost(context, netnsSkip);
    await withNamespace(async (namespace) => {
      const via = inNamespace(namespace);
      const direct = await bench({ pattern: 'rr', durationSeconds: 0.5 }, via);
      const added = await tcInNamespace(
        namespace,
        'qdisc',
        'add',
        'dev',
        'lo',
        'root',
        'netem',
        'delay',
        '20ms',
      );
      skipOnHost(
        context,
        added.exitCode === 0
          ? undefined
          : `netem is not available in this kernel (CONFIG_NET_SCH_NETEM): ${added.stderr.trim()}`,
      );
      const delayed = await bench({ pattern: 'rr', durationSeconds: 1 }, via);
      // Request and response each cross lo once: at least 40 ms per transaction.
      expect(delayed.transactionsPerSec).toBeLessThan(26);
      expect(direct.transactionsPerSec ?? 0).toBeGreaterThan(
        20 * (delayed.transactionsPerSec ?? 0),
      );
    });
  });

  it('slows down behind a tbf rate limit of 100 Mbit/s', async (context) => {
    needs(context, IP);
    skipOnHost(context, netnsSkip);
    await withNamespace(async (namespace) => {
      const via = inNamespace(namespace);
      const direct = await bench({ pattern: 'bulk', durationSeconds: 0.5 }, via);
      const added = await tcInNamespace(
        namespace,
        ...['qdisc', 'add', 'dev', 'lo', 'root', 'tbf', 'rate', '100mbit'],
        ...['burst', '256kb', 'latency', '50ms'],
      );
      skipOnHost(
        context,
        added.exitCode === 0 ? undefined : `tbf is not available: ${added.stderr.trim()}`,
      );
      const limited = await bench({ pattern: 'bulk', durationSeconds: 1 }, via);
      expect(limited.throughput.gbitPerSec).toBeLessThan(0.15);
      expect(direct.throughput.bytesPerSec).toBeGreaterThan(10 * limited.throughput.bytesPerSec);
    });
  });

  it('sets the MTU of lo for the run and puts it back afterwards', async (context) => {
    needs(context, IP);
    skipOnHost(context, netnsSkip);
    await withNamespace(async (namespace) => {
      const result = await bench(
        { pattern: 'rr', mtu: 16384, durationSeconds: 0.3 },
        inNamespace(namespace),
      );
      expect(result.mtuSet).toBe(true);
      expect(result.mtuReason).toBe('set from 65536 to 16384');
      expect(result.loMtu).toBe(16384);
      // Segments shrink with the MTU: the receiver saw at most MTU - IP and TCP headers.
      expect(result.rcvMss).toBeLessThanOrEqual(16384 - 40);
      expect(await ip('-n', namespace, 'link', 'show', 'lo')).toContain('mtu 65536');
    });
  });

  it('reports mtuSet false with the reason when it may not change lo', async (context) => {
    needs(context, IP);
    skipOnHost(context, netnsSkip);
    await withNamespace(async (namespace) => {
      const unprivileged: Runner = {
        run: (argv, options) =>
          inNamespace(namespace).run(
            ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...argv],
            options,
          ),
      };
      const result = await bench({ pattern: 'rr', mtu: 16384, durationSeconds: 0.2 }, unprivileged);
      expect(result.mtuSet).toBe(false);
      expect(result.mtuReason).toMatch(/SIOCSIFMTU lo 16384: Operation not permitted/);
      expect(result.loMtu).toBe(65536);
    });
  });
});
