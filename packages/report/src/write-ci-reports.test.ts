import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CiReportNotWritten } from './errors/ci-report-not-written.js';
import { junitReport } from './junit-report.js';
import { markdownReport } from './markdown-report.js';
import { lbenchFound } from './testing/fixtures.js';
import { writeCiReports } from './write-ci-reports.js';

describe('writeCiReports', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kbisect-report-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the JUnit and Markdown files asked for, creating their directories', async () => {
    const input = lbenchFound();
    const junit = join(dir, 'reports', 'kbisect.xml');
    const markdown = join(dir, 'summary', 'kbisect.md');
    expect(await writeCiReports({ junit, markdown }, input)).toEqual([junit, markdown]);
    expect(await readFile(junit, 'utf8')).toBe(junitReport(input));
    expect(await readFile(markdown, 'utf8')).toBe(markdownReport(input));
    // Written beside the target and renamed: no temporary file is left behind.
    expect(await readdir(join(dir, 'reports'))).toEqual(['kbisect.xml']);
  });

  it('writes nothing when no file is asked for', async () => {
    expect(await writeCiReports({}, lbenchFound())).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  });

  it('names the file it could not write and leaves no temporary file behind', async () => {
    const target = join(dir, 'reports');
    await mkdir(target);
    const error = await writeCiReports({ junit: target }, lbenchFound()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CiReportNotWritten);
    expect((error as CiReportNotWritten).path).toBe(target);
    expect((error as Error).message).toContain(`could not write the report ${target}`);
    expect(await readdir(dir)).toEqual(['reports']);
  });
});
