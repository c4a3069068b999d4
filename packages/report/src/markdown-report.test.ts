import { describe, expect, it } from 'vitest';
import { markdownReport, mdText } from './markdown-report.js';
import {
  bootBisectInput,
  bootSkippedInput,
  inconclusiveInput,
  LBENCH_CULPRIT,
  lbenchFound,
  lbenchFoundWithSetup,
  NO_OP_WARNING,
  noOpCulpritInput,
  notDistinguishableInput,
  withCulpritSubject,
} from './testing/fixtures.js';

describe('markdownReport', () => {
  const md = markdownReport({
    ...lbenchFound(),
    url: 'https://kbisect.example.org/bisects/b-7f3a',
  });

  it('heads with the culprit and its subject', () => {
    expect(md.split('\n')[0]).toBe(
      '### kbisect: first bad commit <code>41c0520ba838</code> sender: flush every 512-byte record immediately',
    );
    expect(md).toContain(`| Commit | <code>${LBENCH_CULPRIT}</code> |`);
    expect(md).toContain('| Describe | <code>v1.0-12-g41c0520</code> |');
  });

  it('has a setup table: what ran where, escaped like every outside text', () => {
    const withSetup = markdownReport(lbenchFoundWithSetup());
    expect(withSetup).toContain(
      '#### Setup\n\n| | |\n|---|---|\n| repository | /tmp/kbisect-demo/lbench |',
    );
    expect(withSetup).toContain('| build | command: make -s |');
    expect(withSetup).toContain('| oracle | metric: ./lbench |');
    expect(withSetup).toMatch(/\| decision \| Mann-Whitney U, .*p &lt;= 0\.001 \|/);
  });

  it('has the parent/culprit table and the interval of the change in a fence', () => {
    const block = md.slice(
      md.indexOf('#### Culprit against its parent'),
      md.indexOf('#### Tested'),
    );
    expect(block).toContain('```\ncb1a73db11a9e273 41c0520ba838e677d81520cb749\n');
    expect(block).toContain('         %stddev     %change         %stddev');
    expect(block).toMatch(/^ {6}1761 ± 32% {6}-89\.0% {7}194 ± 17% {2}measure$/m);
    expect(block).toMatch(/^change: -[\d.]+% measure against the parent, 95% interval /m);
  });

  it('has a Fixed row once the fix is recorded', () => {
    const withFix = markdownReport({
      ...lbenchFound(),
      fix: {
        commit: 'f1'.repeat(20),
        subject: 'sender: batch records again',
        describe: 'v1.1-3-gf1f1f1f',
        by: 'alice',
        at: '2026-12-06T03:00:00.000Z',
      },
    });
    expect(withFix).toContain(
      '| Fixed | <code>f1f1f1f1f1f1</code> sender: batch records again (<code>v1.1-3-gf1f1f1f</code>) |',
    );
  });

  it('gives the effect, the confirmations and a link to the bisect', () => {
    expect(md).toContain('| Effect | metric -86% (1591 → 219), p = 8e-5, 3 + 40 samples |');
    expect(md).toContain('✅ parent-is-good');
    expect(md).toContain(
      '| Bisect | [https://kbisect.example.org/bisects/b-7f3a](<https://kbisect.example.org/bisects/b-7f3a>) |',
    );
  });

  it('tabulates the tested commits, confirmations included, with build and test times', () => {
    expect(md).toContain('| # | Commit | Verdict | Measured | Build | Test | Subject |');
    expect(md).toContain(
      '| 1 | <code>edb9f4085e7a</code> | bad | median 172 (n=40) | 0.2 s | 17.3 s | Tidy notes |',
    );
    expect(md).toContain(
      '| revert-is-good | <code>edb9f4085e7a</code> | good | median 872 (n=3) |',
    );
    expect(md).toContain('7 revisions tested, 104 oracle runs, 30.7 s (build 2.5 s, test 26.6 s).');
  });

  it('warns in a quote between the heading and the table when the culprit is doubtful', () => {
    expect(md).not.toContain('Warning');
    const lines = markdownReport(noOpCulpritInput()).split('\n');
    expect(lines.slice(1, 5)).toEqual([
      '',
      `> ⚠️ **Warning:** ${mdText(NO_OP_WARNING)}`,
      '',
      '| | |',
    ]);
    expect(lines[2]).toContain("the culprit's kernel has the same code as its parent's");
  });

  it('folds the git bisect log away in a details block', () => {
    expect(md).toContain('<details><summary>git bisect log</summary>\n\n```\n# bad: [edb9f4085e7a');
    expect(md.trimEnd().endsWith('```\n\n</details>')).toBe(true);
  });

  it('lists the candidates of an inconclusive bisect', () => {
    const text = markdownReport(inconclusiveInput());
    expect(text).toContain('### kbisect: inconclusive');
    expect(text).toContain(
      '- <code>555555555555</code> tcp: move the MSG\\_MORE check into tcp\\_push()',
    );
    expect(text).toContain('| 3 | <code>555555555555</code> | skip | build failed | 5m12s |');
  });

  it('states why good and bad could not be told apart', () => {
    const text = markdownReport(notDistinguishableInput());
    expect(text).toContain('### kbisect: good and bad are not distinguishable');
    expect(text).toContain(
      'Good median 9.1 (40 samples), bad median 9 (40 samples): -1%, p = 0.21.',
    );
  });
});

describe('markdownReport with hostile input', () => {
  it('keeps a subject with pipes, markup and a link inside its table cell, as text', () => {
    const subject =
      'x | y <img src=x onerror=alert(1)> [click](javascript:alert(1)) *bold* `code`\nnext';
    const md = markdownReport(withCulpritSubject(subject));
    // The log keeps the subject verbatim, safely inside its code fence; the rest renders.
    const rendered = md.slice(0, md.indexOf('<details>'));
    const row = rendered.split('\n').find((l) => l.startsWith('| 6 |')) as string;
    expect(row.split(/(?<!\\)\|/).length).toBe(9);
    expect(rendered).not.toContain('<img');
    expect(rendered).not.toMatch(/(?<!\\)\]\(javascript:/);
    expect(rendered).toContain('\\[click\\](javascript:alert(1))');
    expect(row).toContain('\\*bold\\* \\`code\\` next');
  });

  it('does not link a URL that is not http(s)', () => {
    const md = markdownReport({ ...lbenchFound(), url: 'javascript:alert(1)' });
    expect(md).not.toContain('javascript');
  });

  it('fences the log with more backticks than any run inside it', () => {
    const md = markdownReport(withCulpritSubject('docs: use ```` fences'));
    expect(md).toContain('\n`````\n# bad: [');
  });

  it('escapes a line-start marker so text cannot become a heading or a list', () => {
    expect(mdText('# not a heading')).toBe('\\# not a heading');
    expect(mdText('1. not a list')).toBe('1\\. not a list');
  });
});

describe('markdownReport of kernels that do not boot', () => {
  it('gives the boot failure as the effect of the culprit and in the tested commits', () => {
    const md = markdownReport(bootBisectInput());
    expect(md).toContain(
      '| Effect | boot failed: lab rack3-node7: kernel 6.1.0-kb-777777777777 did not answer SSH within 180 s |',
    );
    expect(md).toMatch(
      /\| 5 \| <code>777777777777<\/code> \| bad \| boot failed: lab rack3-node7: kernel 6\.1\.0-kb-777777777777/,
    );
  });

  it('says a skipped commit did not boot', () => {
    const md = markdownReport(bootSkippedInput());
    expect(md).toMatch(/\| skip \| boot failed: lab rack3-node7: kernel 6\.1\.0-kb-666666666666/);
  });
});
