/** A report file a CI step asked for could not be written: names the file and the reason. */
export class CiReportNotWritten extends Error {
  override readonly name = 'CiReportNotWritten';
  constructor(
    readonly path: string,
    override readonly cause: unknown,
  ) {
    super(
      `could not write the report ${path}: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
  }
}
