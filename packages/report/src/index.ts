export { CiReportNotWritten } from './errors/ci-report-not-written.js';
export { bootFailureText } from './format.js';
export { junitReport } from './junit-report.js';
export { mailSubject } from './mail-subject.js';
export { markdownReport } from './markdown-report.js';
export type { BisectReportInput } from './report-input.js';
export { textReport } from './text-report.js';
export { type CiReportFiles, writeCiReports } from './write-ci-reports.js';
