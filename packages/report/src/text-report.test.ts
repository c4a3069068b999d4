import { errorResultObject, type ResultObject } from '@kbisect/contracts';
import { describe, expect, it } from 'vitest';
import {
  bootBisectInput,
  bootSkippedInput,
  errorInput,
  inconclusiveInput,
  LBENCH_CULPRIT,
  lbenchFound,
  lbenchFoundWithSetup,
  NO_OP_WARNING,
  noOpCulpritInput,
  notDistinguishableInput,
  spliceFound,
} from './testing/fixtures.js';
import { textReport } from './text-report.js';

describe('textReport of a found culprit', () => {
  const input = {
    ...lbenchFoundWithSetup(),
    url: 'https://kbisect.example.org/bisects/b-7f3a',
    quantity: { metric: 'throughput', unit: 'MB/s' },
  };
  const text = textReport(input);

  it('opens like an LKP mail: the change, then the commit with its subject', () => {
    expect(text).toMatch(/^Hello,\n\nkbisect noticed a -86% regression of throughput on:\n\n/);
    expect(text).toContain(
      `commit: ${LBENCH_CULPRIT} ("sender: flush every 512-byte record immediately")`,
    );
  });

  it('names the author, the author date, git describe and the bisect URL', () => {
    expect(text).toContain('author: Lab Tester <tester@kbisect.invalid>');
    expect(text).toContain('date: 2012-10-03T07:00:00+00:00');
    expect(text).toContain('describe: v1.0-12-g41c0520');
    expect(text).toContain('bisect: https://kbisect.example.org/bisects/b-7f3a');
  });

  it('says what ran where before any figure: repository, range, build, lab, oracle, decision', () => {
    const head = text.slice(0, text.indexOf('effect:'));
    expect(head).toContain(
      [
        'repository: /tmp/kbisect-demo/lbench',
        'range: v1.0..main (good..bad): v1.0..v1.0-21-gedb9f40',
        'build: command: make -s',
        'lab: local (the worker host)',
        'oracle: metric: ./lbench',
        'decision: Mann-Whitney U, higher-is-better; calibration 40 runs of each endpoint at alpha 0.01, min effect 10%; 3 to 40 runs a commit, verdict at p <= 0.001',
      ].join('\n'),
    );
  });

  it('gives the effect with its p-value, test and sample counts', () => {
    expect(text).toContain('effect: metric -86% (1591 → 219), p = 8e-5, 3 + 40 samples');
    expect(text).toContain('confidence: p = 8e-5 (one-sided Mann-Whitney U test');
    expect(text).toContain(
      '3 runs of the culprit against 40 of good; each verdict needed p <= 0.001',
    );
  });

  it('leads with the likelihood ratio when it decided the culprit, then quotes the rank test', () => {
    const decided = lbenchFoundWithSetup();
    const journal = (decided.result.journal ?? []).map((entry) =>
      entry.commit === LBENCH_CULPRIT && entry.evidence?.decision
        ? {
            ...entry,
            evidence: {
              ...entry.evidence,
              decision: {
                ...entry.evidence.decision,
                rule: 'likelihood-ratio',
                likelihoodRatio: {
                  logBad: 3 * Math.log(20),
                  logGood: -3 * Math.log(20),
                  threshold: Math.log(1000),
                  clip: Math.log(20),
                  spread: 0.05,
                  distance: 41.2,
                },
              },
            },
          }
        : entry,
    );
    const lr = textReport({ ...decided, result: { ...decided.result, journal } });
    expect(lr).toContain(
      'confidence: likelihood ratio 8000 for bad over good, >= 1000 (1/alpha), from 3 runs of the culprit;\n' +
        '            good and bad 41 spreads apart (40 runs of good); rank test p = 8e-5 (one-sided Mann-Whitney U test',
    );
    expect(lr).not.toContain('confidence: p =');
    expect(lr).not.toContain('each verdict needed p <= 0.001');
  });

  it('compares the culprit with its parent in the LKP table, with the spread of each', () => {
    const table = text.slice(text.indexOf('cb1a73db11a9e273 41c0520ba838e677d81520cb749'));
    expect(table).toContain('---------------- ---------------------------');
    // Parent runs: 3 in the bisect + 3 in the confirmation, likewise for the culprit.
    expect(table).toMatch(/^ {6}1761 ± 32% {6}-89\.0% {7}194 ± 17% {2}throughput \(MB\/s\)$/m);
    expect(table).toContain('medians of 6 runs of the parent and 6 of the culprit');
  });

  it('lists the confirmations that passed', () => {
    expect(text).toContain(
      'confirmed: the culprit measured bad again; its parent measured good; the bad commit with the culprit reverted measured good',
    );
    expect(text).toMatch(/passed {2}revert-is-good {2}edb9f4085e7a {2}median 872 \(n=3\)/);
  });

  it('tabulates every tested commit with verdict, measurement, build and test time', () => {
    expect(text).toMatch(/# {2}commit {8}verdict {2}measured {12}build {2}test {4}subject/);
    expect(text).toMatch(
      /1 {2}edb9f4085e7a {2}bad {6}median 172 \(n=40\) {3}0\.2 s {2}17\.3 s {2}Tidy notes/,
    );
    expect(text).toMatch(
      /7 {2}cb1a73db11a9 {2}good {5}median 1966 \(n=3\) {3}0\.2 s {2}0\.1 s {3}Describe record sizes/,
    );
    expect(text).toContain(
      'revisions tested: 7, oracle runs: 104, total time: 30.7 s (build: 2.5 s, test: 26.6 s)',
    );
  });

  it('marks a verdict a confirmation re-test overturned', () => {
    const found = lbenchFoundWithSetup();
    const journal = found.result.journal ?? [];
    const retest = { ...journal[0], retest: 'culprit-is-bad' } as (typeof journal)[number];
    const repaired = textReport({
      ...found,
      result: { ...found.result, journal: [...journal, retest] },
    });
    expect(repaired).toMatch(
      /8 {2}edb9f4085e7a {2}bad {6}median 172 \(n=40\), re-test culprit-is-bad: overturns the earlier verdict/,
    );
    expect(text).not.toContain('re-test culprit-is-bad');
  });

  it('ends with the git bisect log, verbatim', () => {
    expect(text.endsWith(`git bisect log:\n${input.result.log}`)).toBe(true);
  });

  it('has no warning line when nothing doubts the culprit', () => {
    expect(text).not.toContain('warning:');
  });
});

describe('textReport of a doubtful culprit', () => {
  it('puts the warning right below the commit, before the effect', () => {
    const text = textReport(noOpCulpritInput());
    expect(text).toContain(`describe: v1.0-12-g41c0520\nwarning: ${NO_OP_WARNING}\n`);
    expect(text.indexOf('warning:')).toBeLessThan(text.indexOf('effect:'));
  });

  it('shows the warning of an inconclusive result too: it may explain a failed confirmation', () => {
    const input = inconclusiveInput();
    const text = textReport({ ...input, result: { ...input.result, warnings: [NO_OP_WARNING] } });
    expect(text).toContain(`warning: ${NO_OP_WARNING}`);
    expect(text.indexOf('warning:')).toBeLessThan(text.indexOf('The first bad commit is one of:'));
  });

  it('shows no warning on a result that has no commit to doubt', () => {
    const input = notDistinguishableInput();
    const text = textReport({ ...input, result: { ...input.result, warnings: [NO_OP_WARNING] } });
    expect(text).not.toContain('warning:');
  });
});

describe('textReport of the other outcomes', () => {
  it('lists the candidates of an inconclusive bisect with why each was skipped', () => {
    const text = textReport(inconclusiveInput());
    expect(text).toContain(
      'kbisect could not narrow the regression down to one commit: only skipped commits are left',
    );
    expect(text).toMatch(
      /555555555555 {2}\("tcp: move the MSG_MORE check into tcp_push\(\)"\) {2,}v3\.6-rc7-1300-g5555555 {2}skipped: build failed/,
    );
    expect(text).toContain('skipped: median 4.1 (n=40), unclear');
    expect(text).toContain('total time: 11m40s (build: 10m10s, test: 1m26s)');
    expect(text).toContain('# only skipped commits left to test');
  });

  it('explains a refusal to bisect with both endpoints and the test that could not separate them', () => {
    const text = textReport(notDistinguishableInput());
    expect(text).toContain(
      'kbisect did not bisect: the oracle cannot tell the good commit from the bad one.',
    );
    expect(text).toContain('reason: p = 0.21 ≥ alpha 0.01');
    expect(text).toContain('good: median 9.1 ± 0.3 (40 samples)');
    expect(text).toContain('bad:  median 9 ± 0.4 (40 samples, 2 hung)');
    expect(text).toContain('change: -1% (higher-is-better), p = 0.21');
  });

  it('says what stopped a bisect that ended on an error', () => {
    expect(textReport(errorInput('git fetch failed: repository not found'))).toBe(
      'kbisect stopped on an error: git fetch failed: repository not found\n',
    );
  });

  it('accepts the result object the service stores, as it is', () => {
    const stored: ResultObject = errorResultObject(new Error('lab-07 unreachable'));
    expect(textReport({ result: stored })).toContain('lab-07 unreachable');
  });

  it('reports an exit-code oracle by what it said, with no effect size to claim', () => {
    const culprit = 'c'.repeat(40);
    const text = textReport({
      result: {
        status: 'found',
        culprit,
        candidates: [],
        steps: 3,
        oracleRuns: 3,
        subject: 'splice: stop honouring SPLICE_F_MORE',
        log: '',
        confirmations: [],
        journal: [
          {
            commit: culprit,
            verdict: 'bad',
            source: 'oracle',
            evidence: {
              samples: [{ exitCode: 1, seconds: 3 }],
              decision: { method: 'exit-code', summary: 'exit code 1' },
              testSeconds: 3,
            },
          },
        ],
      },
    });
    expect(text).toContain('kbisect noticed a regression on:');
    expect(text).toContain('oracle: exit code 1 on the culprit');
    expect(text).not.toContain('confidence:');
    expect(text).not.toContain('%stddev');
    expect(text).toContain('confirmed: not re-tested (--no-confirm)');
    expect(text).toMatch(
      /1 {2}cccccccccccc {2}bad {6}exit 1 +3\.0 s {2}splice: stop honouring SPLICE_F_MORE/,
    );
  });

  it('shows a commit without metadata by its sha rather than failing', () => {
    const { result } = lbenchFound();
    const text = textReport({ result });
    expect(text).toContain(
      `commit: ${LBENCH_CULPRIT} ("sender: flush every 512-byte record immediately")`,
    );
    expect(text).not.toContain('author:');
    expect(text).toContain('range: 6c5d5c5b5504..edb9f4085e7a (good..bad)');
  });
});

describe('textReport of kernels that do not boot', () => {
  it('names a boot failure as the effect of the culprit of a boot bisect', () => {
    const text = textReport(bootBisectInput());
    expect(text).toContain('kbisect noticed a boot failure on:');
    expect(text).toContain(
      'effect: the kernel does not boot (boot failed: lab rack3-node7: kernel 6.1.0-kb-777777777777 did not answer SSH within 180 s)',
    );
    expect(text).toMatch(
      /777777777777 {2}bad {2,}boot failed: lab rack3-node7: kernel 6\.1\.0-kb-777777777777 did not answer SSH/,
    );
    // The console tail stays in the journal: a table row is one line.
    expect(text).not.toContain('Kernel panic');
  });

  it('says why a skipped candidate was skipped: its kernel did not boot', () => {
    const text = textReport(bootSkippedInput());
    expect(text).toContain(
      'skipped: boot failed: lab rack3-node7: kernel 6.1.0-kb-666666666666 did not answer SSH within 180 s',
    );
    expect(text).not.toContain('boot-failed');
  });
});

describe('textReport of a splice-loopback kernel bisect', () => {
  const text = textReport(spliceFound());

  it('puts parent and culprit side by side for every splice-bench figure, LKP style', () => {
    const table = text.slice(text.indexOf('%stddev'), text.indexOf('(medians of'));
    const row = (name: string) => table.split('\n').find((line) => line.endsWith(`  ${name}`));
    expect(row('transactions (transactions/s)')).toMatch(
      /^ {6}8950 ± {2}2% {6}-91\.2% {7}790 ± {2}4%/,
    );
    expect(row('stalled (ms/s)')).toMatch(/^ {9}0 {13}\+Inf% {7}795 ± {2}2%/);
    expect(row('stalls 35-60 ms')).toBeDefined();
    expect(row('stalls 180-300 ms')).toBeDefined();
    // Buckets that stayed empty on both sides are left out.
    expect(row('stalls 300+ ms')).toBeUndefined();
    expect(row('delayed ACKs')).toMatch(/^ {9}4 ± {2}0% {3}\+29775\.0% {6}1195 ± {2}1%/);
    expect(row('retransmits')).toBeDefined();
    expect(row('receiver MSS (bytes)')).toMatch(/-75\.0%/);
    expect(text).toContain('(medians of 8 runs of the parent and 8 of the culprit');
  });

  it('gives the change as a Hodges-Lehmann ratio with its 95% interval', () => {
    expect(text).toContain(
      'change: -91.2% transactions (transactions/s) against the parent, 95% interval -91.5% to -90.9%\n' +
        '        (Hodges-Lehmann: median of the 8 x 8 pairwise ratios)\n',
    );
  });

  it('gives a measure that starts at 0 (stalled ms/s) a shift interval instead', () => {
    const input = spliceFound();
    const journal = (input.result.journal ?? []).map((e) => ({
      ...e,
      evidence: {
        ...e.evidence,
        samples: (e.evidence?.samples ?? []).map((s, i) => ({
          ...s,
          value: e.verdict === 'bad' ? 800 + i : i % 2,
        })),
      },
    }));
    const stalls = textReport({
      ...input,
      result: { ...input.result, journal },
      quantity: { metric: 'stalled', unit: 'ms/s' },
    });
    expect(stalls).toMatch(
      /^shift: \+\d+ stalled \(ms\/s\) against the parent, 95% interval \+\d+ to \+\d+$/m,
    );
  });

  it('names the compiler, the labs and the kernel the run used, and the lab of each commit', () => {
    expect(text).toContain('compiler: gcc (Debian 12.2.0-14) 12.2.0; GNU ld 2.40');
    expect(text).toContain('machines: vm-a, vm-b');
    expect(text).toContain('kernel: 3.7.0-rc1-kb-c0ffee (culprit)');
    expect(text).toMatch(/# {2}commit +verdict +measured +build +test +lab +subject/);
    expect(text).toMatch(/1 {2}c0ffee000000 {2}bad +median 790 \(n=8\) .* vm-a vm-b {2}tcp: defer/);
  });

  it('says when the runs are too few for an interval instead of printing one', () => {
    const input = spliceFound();
    const journal = (input.result.journal ?? []).map((e) => ({
      ...e,
      evidence: { ...e.evidence, samples: e.evidence?.samples?.slice(0, 3) ?? [] },
    }));
    const few = textReport({ ...input, result: { ...input.result, journal } });
    expect(few).toContain('change: too few runs (3 and 3) for a 95% interval');
  });
});

describe('reports of a bisect whose fix was recorded', () => {
  const fix = {
    commit: 'f1'.repeat(20),
    subject: 'sender: batch records again',
    describe: 'v1.1-3-gf1f1f1f',
    by: 'alice',
    at: '2026-12-06T03:00:00.000Z',
    note: 'https://lore.example.org/r/123',
  };

  it('says so under the culprit in the text report', () => {
    const text = textReport({ ...lbenchFound(), fix });
    expect(text).toContain(
      `describe: v1.0-12-g41c0520\nfixed: ${fix.commit} ("sender: batch records again")\n` +
        '       in v1.1-3-gf1f1f1f, recorded by alice at 2026-12-06T03:00:00.000Z: https://lore.example.org/r/123\n',
    );
    expect(textReport(lbenchFound())).not.toContain('fixed:');
  });
});
