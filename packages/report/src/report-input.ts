import type { BisectFix, CommitDescription, Quantity, ResultObject } from '@kbisect/contracts';

/**
 * What a report is made from: the result object of a bisect as `kbisect run --json` prints it
 * and the service stores it (`ResultObject` of @kbisect/contracts, its `setup` included; the
 * service keeps the journal beside the result, pass it in `result.journal`), and the commits
 * it names (`CommitDescription`; `CommitInfo` of @kbisect/git fits).
 */
export interface BisectReportInput {
  result: ResultObject;
  /** Every commit the result names or tested; a commit missing here is shown by sha only. */
  commits?: readonly CommitDescription[];
  /** Where the bisect can be seen (the service's page or API resource). */
  url?: string;
  /** What the oracle measures, as `Oracle['quantity']`; default: the result's `quantity`. */
  quantity?: Quantity;
  /**
   * The tags a fix should carry, as LKP suggests them: `Reported-by:` this identity and
   * `Closes:` the bisect's URL (`url`). Given by the mail; absent, the report has none.
   */
  reportedBy?: string;
  /** The commit recorded as the fix (`kbisect fixed`), said at the top of every report. */
  fix?: BisectFix;
  /** The lab or machine the oracle ran on (JUnit `hostname`; default "localhost"). */
  host?: string;
  /**
   * When the bisect ended (ISO 8601). Default: the latest journal timestamp, so the same input
   * always gives the same report; the current time only when the journal has none.
   */
  finishedAt?: string;
}
