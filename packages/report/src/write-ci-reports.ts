import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CiReportNotWritten } from './errors/ci-report-not-written.js';
import { junitReport } from './junit-report.js';
import { markdownReport } from './markdown-report.js';
import type { BisectReportInput } from './report-input.js';

/** The files of `--junit FILE` and `--markdown FILE`; either may be left out. */
export interface CiReportFiles {
  junit?: string;
  markdown?: string;
}

/**
 * Writes the reports a CI system shows natively and returns the paths written. Each file is
 * written beside its target and renamed over it, so an artifact upload that races the end of
 * the step never picks up half a file; missing directories are created, as CI paths such as
 * `reports/kbisect.xml` usually name one that does not exist yet.
 */
export async function writeCiReports(
  files: CiReportFiles,
  input: BisectReportInput,
): Promise<string[]> {
  const jobs: [string, () => string][] = [];
  if (files.junit) jobs.push([files.junit, () => junitReport(input)]);
  if (files.markdown) jobs.push([files.markdown, () => markdownReport(input)]);
  const written: string[] = [];
  for (const [path, render] of jobs) {
    const temporary = `${path}.${process.pid}.tmp`;
    try {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(temporary, render(), 'utf8');
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw new CiReportNotWritten(path, error);
    }
    written.push(path);
  }
  return written;
}
