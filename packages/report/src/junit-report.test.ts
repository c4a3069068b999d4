import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { describeNeeding, XMLLINT } from '../../../test/support/requirements.js';
import { junitReport } from './junit-report.js';
import type { BisectReportInput } from './report-input.js';
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
  withCulpritSubject,
} from './testing/fixtures.js';

/** Every suite here asks xmllint (libxml2) what a JUnit consumer would see. */
const describeWithXmllint = describeNeeding(XMLLINT);

const SCHEMA = fileURLToPath(new URL('../schema/JUnit.xsd', import.meta.url));

/** xmllint's verdict on the document against the vendored windyroad JUnit schema. */
function validate(xml: string): { ok: boolean; output: string } {
  const run = spawnSync('xmllint', ['--noout', '--schema', SCHEMA, '-'], {
    input: xml,
    encoding: 'utf8',
  });
  if (run.error) throw run.error;
  return { ok: run.status === 0, output: run.stderr };
}

/** What a JUnit consumer reads back: an XPath string over the parsed document. */
function xpath(xml: string, expression: string): string {
  const out = execFileSync('xmllint', ['--xpath', `string(${expression})`, '-'], {
    input: xml,
    encoding: 'utf8',
  });
  // xmllint ends its answer with one newline of its own.
  return out.endsWith('\n') ? out.slice(0, -1) : out;
}

const found: BisectReportInput = {
  ...lbenchFoundWithSetup(),
  url: 'https://kbisect.example.org/bisects/b-7f3a',
  host: 'lab-07',
};

describeWithXmllint('junitReport', () => {
  it('is valid against the JUnit schema CI systems read, for every outcome', () => {
    for (const input of [
      found,
      inconclusiveInput(),
      notDistinguishableInput(),
      errorInput('boom'),
    ]) {
      const result = validate(junitReport(input));
      expect(result, input.result.status).toMatchObject({ ok: true });
    }
  });

  it('the schema check itself rejects a testsuite without its required parts', () => {
    const broken = junitReport(found).replace(/ {2}<properties>[\s\S]*<\/properties>\n/, '');
    expect(validate(broken).ok).toBe(false);
  });

  it('has one testsuite "kbisect" with a testcase per tested commit and one for the result', () => {
    const xml = junitReport(found);
    expect(xpath(xml, '/testsuite/@name')).toBe('kbisect');
    // 7 verdicts of the bisect, 3 confirmations, the result.
    expect(xpath(xml, 'count(/testsuite/testcase)')).toBe('11');
    expect(xpath(xml, '/testsuite/@tests')).toBe('11');
    expect(xpath(xml, "count(/testsuite/testcase[@classname='kbisect.tested-commit'])")).toBe('7');
    expect(xpath(xml, '/testsuite/@hostname')).toBe('lab-07');
    expect(xpath(xml, '/testsuite/@timestamp')).toBe('2026-11-26T06:19:44');
  });

  it('fails only the result testcase, naming the culprit and its effect', () => {
    const xml = junitReport(found);
    expect(xpath(xml, '/testsuite/@failures')).toBe('1');
    expect(xpath(xml, 'count(//failure)')).toBe('1');
    const result = "/testsuite/testcase[@classname='kbisect.result']";
    expect(xpath(xml, `${result}/@name`)).toBe(
      'first bad commit 41c0520ba838 sender: flush every 512-byte record immediately',
    );
    expect(xpath(xml, `${result}/failure/@type`)).toBe('regression');
    expect(xpath(xml, `${result}/failure/@message`)).toBe(
      `${LBENCH_CULPRIT} ("sender: flush every 512-byte record immediately") is the first bad commit: metric -86% (1591 → 219), p = 8e-5, 3 + 40 samples`,
    );
    expect(xpath(xml, `${result}/failure`)).toContain('kbisect noticed a -86% regression');
  });

  it('carries the bisect URL, the status and the culprit as properties', () => {
    const xml = junitReport(found);
    const prop = (name: string) =>
      xpath(xml, `/testsuite/properties/property[@name='${name}']/@value`);
    expect(prop('kbisect.url')).toBe('https://kbisect.example.org/bisects/b-7f3a');
    expect(prop('kbisect.status')).toBe('found');
    expect(prop('kbisect.culprit')).toBe(LBENCH_CULPRIT);
    expect(prop('kbisect.describe')).toBe('v1.0-12-g41c0520');
  });

  it('carries the setup as kbisect.setup.* properties and stays valid against the schema', () => {
    const xml = junitReport(found);
    const prop = (name: string) =>
      xpath(xml, `/testsuite/properties/property[@name='kbisect.setup.${name}']/@value`);
    expect(prop('repository')).toBe('/tmp/kbisect-demo/lbench');
    expect(prop('range')).toBe('v1.0..main (good..bad): v1.0..v1.0-21-gedb9f40');
    expect(prop('build')).toBe('command: make -s');
    expect(prop('lab')).toBe('local (the worker host)');
    expect(prop('oracle')).toBe('metric: ./lbench');
    expect(prop('decision')).toContain('calibration 40 runs of each endpoint at alpha 0.01');
    expect(validate(xml)).toMatchObject({ ok: true });
    // Without a setup (an old stored result) the range still comes from the log.
    const bare = junitReport(lbenchFound());
    expect(xpath(bare, "count(//property[starts-with(@name, 'kbisect.setup.')])")).toBe('1');
  });

  it('names a recorded fix as a property and stays valid', () => {
    const fix = {
      commit: 'f1'.repeat(20),
      subject: 'sender: batch records again',
      describe: 'v1.1-3-gf1f1f1f',
      by: 'alice',
      at: '2026-12-06T03:00:00.000Z',
    };
    const xml = junitReport({ ...found, fix });
    expect(xpath(xml, "/testsuite/properties/property[@name='kbisect.fixed']/@value")).toBe(
      `${fix.commit} v1.1-3-gf1f1f1f`,
    );
    expect(validate(xml)).toMatchObject({ ok: true });
  });

  it('shows each tested commit with its verdict and measurement, and its build + test time', () => {
    const xml = junitReport(found);
    const first = "/testsuite/testcase[@classname='kbisect.tested-commit'][1]";
    expect(xpath(xml, `${first}/@name`)).toBe(
      '#1 edb9f4085e7a bad: median 172 (n=40) - Tidy notes',
    );
    expect(Number(xpath(xml, `${first}/@time`))).toBeCloseTo(0.2419 + 17.34, 1);
  });

  it('marks skipped commits skipped and an inconclusive result as an error', () => {
    const xml = junitReport(inconclusiveInput());
    expect(xpath(xml, '/testsuite/@skipped')).toBe('2');
    expect(xpath(xml, '/testsuite/@errors')).toBe('1');
    expect(xpath(xml, '/testsuite/@failures')).toBe('0');
    expect(xpath(xml, '//testcase[skipped][1]/skipped/@message')).toBe('build failed');
    expect(xpath(xml, "//testcase[@classname='kbisect.result']/error/@type")).toBe('inconclusive');
  });

  it('reports a refusal to bisect as an error of type not-distinguishable', () => {
    const xml = junitReport(notDistinguishableInput());
    expect(xpath(xml, '//error/@type')).toBe('not-distinguishable');
    expect(xpath(xml, '//error/@message')).toBe('p = 0.21 ≥ alpha 0.01');
  });
});

describeWithXmllint('junitReport of a doubtful culprit', () => {
  const xml = junitReport(noOpCulpritInput());

  it('stays valid against the schema', () => {
    expect(validate(xml)).toMatchObject({ ok: true });
  });

  it('carries the warning as a property, in the failure message and in its text', () => {
    expect(xpath(xml, "/testsuite/properties/property[@name='kbisect.warning']/@value")).toBe(
      NO_OP_WARNING,
    );
    const failure = "/testsuite/testcase[@classname='kbisect.result']/failure";
    expect(xpath(xml, `${failure}/@message`)).toBe(
      `${LBENCH_CULPRIT} ("sender: flush every 512-byte record immediately") is the first bad commit: ` +
        `metric -86% (1591 → 219), p = 8e-5, 3 + 40 samples; warning: ${NO_OP_WARNING}`,
    );
    expect(xpath(xml, failure)).toContain(`warning: ${NO_OP_WARNING}`);
  });

  it('has no warning property when nothing doubts the culprit', () => {
    expect(xpath(junitReport(found), "count(//property[@name='kbisect.warning'])")).toBe('0');
  });
});

describeWithXmllint('junitReport with a hostile commit subject', () => {
  const hostile =
    'net: <b>fix</b> & "quote" \'q\' ]]> <![CDATA[x]]> \u001b[31mred\u0007 \u0000nul\ttab\r\nnext \ud800 😀';
  const xml = junitReport(withCulpritSubject(hostile));

  it('stays well-formed and valid against the schema', () => {
    expect(validate(xml)).toMatchObject({ ok: true });
  });

  it('carries markup, quotes and "]]>" through as text, not as XML', () => {
    const message = xpath(xml, "//testcase[@classname='kbisect.result']/failure/@message");
    expect(message).toContain('net: <b>fix</b> & "quote" \'q\' ]]> <![CDATA[x]]>');
    expect(xpath(xml, 'count(//b)')).toBe('0');
    expect(xml).not.toContain('<b>');
    expect(xml).not.toContain(']]>');
  });

  it('keeps tabs and line breaks in attributes and replaces what XML 1.0 cannot carry', () => {
    const message = xpath(xml, "//testcase[@classname='kbisect.result']/failure/@message");
    expect(message).toContain('\\x1b[31mred\\x07 \\x00nul\ttab\r\nnext \uFFFD 😀');
    expect(xpath(xml, '/testsuite/system-out')).toContain('\\x1b[31mred');
  });
});

describeWithXmllint('junitReport of kernels that do not boot', () => {
  it('fails the result with the boot failure, and lists boot failures readably', () => {
    const xml = junitReport(bootBisectInput());
    expect(validate(xml)).toEqual({ ok: true, output: expect.any(String) });
    expect(xpath(xml, '//testcase[@classname="kbisect.result"]/failure/@message')).toBe(
      `${'7'.repeat(40)} ("e1000: map rx buffers from the page pool") is the first bad commit: ` +
        'boot failed: lab rack3-node7: kernel 6.1.0-kb-777777777777 did not answer SSH within 180 s',
    );
    expect(xpath(xml, '//testcase[starts-with(@name, "#5 ")]/@name')).toBe(
      '#5 777777777777 bad: boot failed: lab rack3-node7: kernel 6.1.0-kb-777777777777 did not answer SSH within 180 s - e1000: map rx buffers from the page pool',
    );
  });

  it('skips a kernel that did not boot with the boot failure as the message', () => {
    const xml = junitReport(bootSkippedInput());
    expect(validate(xml).ok).toBe(true);
    expect(xpath(xml, `//testcase[contains(@name, "666666666666")]/skipped/@message`)).toBe(
      'boot failed: lab rack3-node7: kernel 6.1.0-kb-666666666666 did not answer SSH within 180 s',
    );
  });
});
