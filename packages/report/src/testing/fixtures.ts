import { readFileSync } from 'node:fs';
import type { CommitDescription, ResultObject } from '@kbisect/contracts';
import type { JournalEntry } from '@kbisect/core';
import type { BisectReportInput } from '../report-input.js';

/**
 * A real `kbisect run --json` result (the demo's generated lbench project: metric oracle,
 * 40 calibration runs per endpoint, confirmations on) and `git log`/`git describe` of the
 * commits it names, captured once so the report tests read what a user really gets.
 */
export function lbenchFound(): BisectReportInput {
  const raw = readFileSync(new URL('./lbench-found.json', import.meta.url), 'utf8');
  return JSON.parse(raw) as { result: ResultObject; commits: CommitDescription[] };
}

/** The setup `bisectSetupOf` (@kbisect/contracts) makes for the demo's `kbisect run`. */
export const DEMO_SETUP = {
  repository: '/tmp/kbisect-demo/lbench',
  range: 'v1.0..main',
  build: 'command: make -s',
  lab: 'local (the worker host)',
  oracle: 'metric: ./lbench',
  decision:
    'Mann-Whitney U, higher-is-better; calibration 40 runs of each endpoint at alpha 0.01, ' +
    'min effect 10%; 3 to 40 runs a commit, verdict at p <= 0.001',
} as const;

/** The demo's result with the setup its caller adds. */
export function lbenchFoundWithSetup(): BisectReportInput {
  const input = lbenchFound();
  return { ...input, result: { ...input.result, setup: { ...DEMO_SETUP } } };
}

export const LBENCH_CULPRIT = '41c0520ba838e677d81520cb7492334fbd8d8f2a';

const sha = (n: number) => n.toString(16).repeat(40);

/**
 * A bisect that ended with only skipped commits between the last good and the first bad:
 * one did not build, one measured unclear after 40 runs.
 */
export function inconclusiveInput(): BisectReportInput {
  const journal: JournalEntry[] = [
    {
      commit: sha(9),
      verdict: 'bad',
      source: 'oracle',
      evidence: { samples: [{ value: 0.7, seconds: 2 }], testSeconds: 2 },
    },
    {
      commit: sha(1),
      verdict: 'good',
      source: 'oracle',
      evidence: { samples: [{ value: 9.1, seconds: 2 }], testSeconds: 2 },
    },
    {
      commit: sha(5),
      verdict: 'skip',
      source: 'oracle',
      evidence: {
        build: { ok: false, seconds: 312, logTail: 'net/ipv4/tcp.c:912: error: expected ;' },
        skipReason: 'build-failed',
      },
    },
    {
      commit: sha(6),
      verdict: 'skip',
      source: 'oracle',
      evidence: {
        build: { ok: true, seconds: 298 },
        samples: Array.from({ length: 40 }, (_, i) => ({ value: 4 + (i % 3) * 0.1, seconds: 2 })),
        skipReason: 'unclear',
        testSeconds: 80,
      },
    },
  ];
  const log = [
    `# bad: [${sha(9)}] tcp: coalesce small sends`,
    `# good: [${sha(1)}] Linux 3.6`,
    `git bisect start '${sha(9)}' '${sha(1)}'`,
    `git bisect skip ${sha(5)}`,
    `git bisect skip ${sha(6)}`,
    '# only skipped commits left to test',
    '',
  ].join('\n');
  return {
    result: {
      status: 'inconclusive',
      culprit: null,
      candidates: [sha(5), sha(6)],
      steps: 4,
      oracleRuns: 42,
      subject: null,
      log,
      result: {
        kind: 'inconclusive',
        candidates: [sha(5), sha(6)],
        reason: 'only skipped commits are left',
      },
      reason: 'only skipped commits are left',
      confirmations: [],
      journal,
      seconds: { build: 610, test: 86, total: 700 },
    },
    commits: [
      commitAt(sha(1), 'Linux 3.6', 'v3.6'),
      commitAt(sha(5), 'tcp: move the MSG_MORE check into tcp_push()', 'v3.6-rc7-1300-g5555555'),
      commitAt(
        sha(6),
        'splice: honour SPLICE_F_MORE in pipe_to_sendpage()',
        'v3.6-rc7-1301-g6666666',
      ),
      commitAt(sha(9), 'tcp: coalesce small sends', 'v3.7-rc1'),
    ],
  };
}

const BOOT_NOTE = (release: string) =>
  `boot failed: lab rack3-node7: kernel ${release} did not answer SSH within 180 s\n` +
  'Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)';

/**
 * A boot bisect (boot failures count as bad) on a pool: the bad endpoint and the culprit do not
 * boot, the commits that boot are good (measured on two labs of the pool), and one commit was
 * skipped because its oracle failed.
 */
export function bootBisectInput(): BisectReportInput {
  const badBoot = (commit: string, release: string): JournalEntry => ({
    commit,
    verdict: 'bad',
    source: 'oracle',
    evidence: {
      build: { ok: true, seconds: 300 },
      samples: [],
      badReason: 'boot-failed',
      note: BOOT_NOTE(release),
      testSeconds: 181,
    },
  });
  const boots = (commit: string, lab: string): JournalEntry => ({
    commit,
    verdict: 'good',
    source: 'oracle',
    evidence: {
      build: { ok: true, seconds: 290 },
      samples: [{ value: 1591, seconds: 2, detail: { lab } }],
      decision: {
        method: 'boots',
        summary: 'the kernel booted and the oracle ran (the bad endpoint does not boot)',
      },
      testSeconds: 40,
    },
  });
  const journal: JournalEntry[] = [
    badBoot(sha(9), '6.1.0-kb-999999999999'),
    boots(sha(1), 'rack3-node7'),
    {
      commit: sha(5),
      verdict: 'skip',
      source: 'oracle',
      evidence: {
        build: { ok: true, seconds: 280 },
        samples: [],
        skipReason: 'oracle-skip',
        note: 'splice-bench produced no result: exit 1',
        testSeconds: 12,
      },
    },
    boots(sha(6), 'rack3-node8'),
    badBoot(sha(7), '6.1.0-kb-777777777777'),
  ];
  const log = [
    `# bad: [${sha(9)}] net: switch the NIC driver to page pools`,
    `# good: [${sha(1)}] Linux 6.1`,
    `git bisect start '${sha(9)}' '${sha(1)}'`,
    `# skip: [${sha(5)}] `,
    `git bisect skip ${sha(5)}`,
    `# good: [${sha(6)}] `,
    `git bisect good ${sha(6)}`,
    `# bad: [${sha(7)}] `,
    `git bisect bad ${sha(7)}`,
    `# first bad commit: [${sha(7)}] e1000: map rx buffers from the page pool`,
    '',
  ].join('\n');
  return {
    result: {
      status: 'found',
      culprit: sha(7),
      candidates: [sha(7)],
      steps: 5,
      oracleRuns: 5,
      subject: 'e1000: map rx buffers from the page pool',
      log,
      result: { kind: 'found', culprit: sha(7) },
      confirmations: [],
      journal,
      seconds: { build: 1440, test: 454, total: 1900 },
    },
    commits: [
      commitAt(sha(1), 'Linux 6.1', 'v6.1'),
      commitAt(sha(7), 'e1000: map rx buffers from the page pool', 'v6.1-rc1-7-g7777777'),
      commitAt(sha(9), 'net: switch the NIC driver to page pools', 'v6.2-rc1'),
    ],
  };
}

/** A bisect that skips kernels that do not boot (the default): one is among the candidates. */
export function bootSkippedInput(): BisectReportInput {
  const input = inconclusiveInput();
  const journal = (input.result.journal ?? []).map((entry) =>
    entry.evidence?.skipReason === 'unclear'
      ? {
          ...entry,
          evidence: {
            build: { ok: true, seconds: 298 },
            samples: [],
            skipReason: 'boot-failed' as const,
            note: BOOT_NOTE('6.1.0-kb-666666666666'),
            testSeconds: 181,
          },
        }
      : entry,
  );
  return { ...input, result: { ...input.result, journal } };
}

/** The refusal to bisect noise, as `kbisect run --json` prints it. */
export function notDistinguishableInput(): BisectReportInput {
  return {
    result: {
      status: 'not-distinguishable',
      culprit: null,
      candidates: [],
      steps: 0,
      oracleRuns: 0,
      subject: null,
      log: '',
      error:
        'good and bad cannot be told apart (p = 0.21 ≥ alpha 0.01): good median 9.1 ± 0.3 (40 samples), bad median 9 ± 0.4 (40 samples, 2 hung), higher-is-better; measure more samples, raise the load, or choose endpoints further apart',
      reason: 'p = 0.21 ≥ alpha 0.01',
      baselines: {
        good: { median: 9.1, spread: 0.3, samples: 40, hangs: 0 },
        bad: { median: 9.0, spread: 0.4, samples: 40, hangs: 2 },
        direction: 'higher-is-better',
        pValue: 0.21,
        effect: -0.011,
      },
    },
  };
}

export function errorInput(message: string): BisectReportInput {
  return {
    result: {
      status: 'error',
      culprit: null,
      candidates: [],
      steps: 0,
      oracleRuns: 0,
      subject: null,
      log: '',
      error: message,
    },
  };
}

function commitAt(sha: string, subject: string, describe: string): CommitDescription {
  return {
    sha,
    subject,
    author: { name: 'A. Developer', email: 'dev@example.org' },
    authorDate: '2012-10-01T12:00:00+02:00',
    describe,
  };
}

/** The found fixture with the culprit's subject replaced, everywhere a report reads it. */
export function withCulpritSubject(subject: string): BisectReportInput {
  const input = lbenchFound();
  const old = input.result.subject ?? '';
  return {
    ...input,
    // The log names the culprit by subject too; it goes into the XML and Markdown as well.
    result: { ...input.result, subject, log: input.result.log.replaceAll(old, subject) },
    commits: (input.commits ?? []).map((c) => (c.sha === LBENCH_CULPRIT ? { ...c, subject } : c)),
  };
}

/** What `culpritWarnings` of core says about a culprit whose kernel is its parent's. */
export const NO_OP_WARNING =
  "the culprit's kernel has the same code as its parent's (.text signature 1a2b3c4d5e6f…): " +
  'the commit probably does not change the kernel; suspect the test or noise';

/** The found fixture as a kernel bisect whose culprit built its parent's kernel again. */
export function noOpCulpritInput(): BisectReportInput {
  const input = lbenchFound();
  return { ...input, result: { ...input.result, warnings: [NO_OP_WARNING] } };
}

/**
 * A splice-bench result as the oracle keeps it in a sample's detail (rr pattern, measure
 * rate): a good kernel answers ~9000 transactions/s without stalls; the culprit's stalls on
 * delayed ACKs (40 ms and 200 ms gaps) and answers ~800.
 */
function spliceDetail(i: number, bad: boolean, lab: string): Record<string, unknown> {
  const jitter = (i % 5) - 2;
  return {
    unit: 'transactions/s',
    tool: 'splice-bench',
    version: 1,
    pattern: 'rr',
    mode: 'splice',
    bytes: 0,
    seconds: 5,
    throughput: { bytesPerSec: 0, gbitPerSec: bad ? 0.42 + jitter * 0.01 : 4.9 + jitter * 0.05 },
    transactions: 0,
    transactionsPerSec: bad ? 800 + jitter * 20 : 9000 + jitter * 100,
    hang: false,
    stalls: {
      thresholdMs: 30,
      count: bad ? 110 + jitter : 0,
      buckets: {
        '30-35': 0,
        '35-60': bad ? 100 + jitter : 0,
        '60-180': 0,
        '180-300': bad ? 10 : 0,
        '300+': 0,
      },
      longestGapMs: bad ? 204 + jitter : 2,
      stalledMs: bad ? 4000 + jitter * 50 : 0,
    },
    retransmits: bad ? 3 + (i % 2) : 0,
    delayedAcks: bad ? 1200 + jitter * 10 : 4,
    kernel: bad ? '3.7.0-rc1-kb-c0ffee' : '3.7.0-rc1-kb-decade',
    loMtu: 65536,
    rcvMss: bad ? 16384 : 65483,
    mtuSet: false,
    mtuReason: '',
    lab,
  };
}

export const SPLICE_CULPRIT = 'c0ffee'.padEnd(40, '0');
export const SPLICE_PARENT = 'decade'.padEnd(40, '0');

/** A kernel bisect with the splice-loopback oracle on a pool of two labs, found and confirmed. */
export function spliceFound(): BisectReportInput {
  const samples = (bad: boolean, n: number, lab: string) =>
    Array.from({ length: n }, (_, i) => {
      const detail = spliceDetail(i, bad, i % 2 ? 'vm-b' : lab);
      return { value: detail.transactionsPerSec as number, seconds: 5, detail };
    });
  const entry = (commit: string, bad: boolean, n: number): JournalEntry => ({
    commit,
    verdict: bad ? 'bad' : 'good',
    source: 'oracle',
    evidence: {
      build: {
        ok: true,
        seconds: 300,
        ...({ toolchain: 'gcc (Debian 12.2.0-14) 12.2.0; GNU ld 2.40' } as object),
        ...({ release: bad ? '3.7.0-rc1-kb-c0ffee' : '3.7.0-rc1-kb-decade' } as object),
      },
      samples: samples(bad, n, 'vm-a'),
      testSeconds: 5 * n,
    },
  });
  const log = [
    `# bad: [${SPLICE_CULPRIT}] tcp: defer the ACK of a spliced segment`,
    `# good: [${SPLICE_PARENT}] Linux 3.6`,
    `git bisect start '${SPLICE_CULPRIT}' '${SPLICE_PARENT}'`,
    '',
  ].join('\n');
  return {
    result: {
      status: 'found',
      culprit: SPLICE_CULPRIT,
      candidates: [],
      steps: 2,
      oracleRuns: 16,
      subject: 'tcp: defer the ACK of a spliced segment',
      log,
      effect: 'transactions/s -91% (9000 → 800), p = 8e-5, 8 + 8 samples',
      confirmations: [
        { check: 'parent-is-good', commit: SPLICE_PARENT, passed: true },
      ] as ResultObject['confirmations'],
      journal: [entry(SPLICE_CULPRIT, true, 8), entry(SPLICE_PARENT, false, 8)],
      setup: {
        repository: 'https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git',
        range: 'v3.6..v3.7-rc1',
        build: 'kernel: make x86_64_defconfig + fragments kvm.config; arch x86_64; cc gcc',
        lab: 'pool vm',
        oracle: 'splice-loopback --pattern rr',
        decision: 'Mann-Whitney U, higher-is-better',
      },
    },
    quantity: { metric: 'transactions', unit: 'transactions/s' },
  };
}
