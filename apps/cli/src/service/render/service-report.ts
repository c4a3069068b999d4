import type { BisectView } from '@kbisect/contracts';
import type { BisectOutcome } from '@kbisect/core';
import type { CommitInfo } from '@kbisect/git';
import { humanReport } from '../../report/human-report.js';

/**
 * The report of a finished bisect, as `kbisect run` prints it, rebuilt from what the API
 * returns: the result object, the journal and the commit descriptions the worker stored.
 */
export function serviceReport(view: BisectView): string | undefined {
  const result = view.result;
  if (!result?.result) return undefined;
  const outcome: BisectOutcome = {
    result: result.result,
    journal: view.journal,
    confirmations: result.confirmations ?? [],
    totals: {
      steps: result.steps,
      oracleRuns: result.oracleRuns,
      buildSeconds: result.seconds?.build ?? 0,
      testSeconds: result.seconds?.test ?? 0,
      totalSeconds: result.seconds?.total ?? 0,
    },
  };
  const info = new Map<string, CommitInfo>(
    (view.commits ?? []).map((c) => [
      c.sha,
      {
        ...c,
        parents: [],
        committer: c.committer ?? c.author,
        committerDate: c.authorDate,
      } satisfies CommitInfo,
    ]),
  );
  return humanReport(outcome, info, result);
}
