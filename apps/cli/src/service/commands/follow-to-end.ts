import {
  type BisectView,
  EXIT,
  errorResultObject,
  exitCodeFor,
  isTerminal,
  type ResultObject,
} from '@kbisect/contracts';
import { type CiReportFiles, writeCiReports } from '@kbisect/report';
import type { ApiClient } from '../client/api-client.js';
import { followEvents } from '../client/follow-events.js';
import { progressText } from '../render/progress-printer.js';
import { serviceReport } from '../render/service-report.js';

export interface FollowToEndOptions {
  json: boolean;
  /** With --json, also print every event as a JSON line (follow), or only the result (start). */
  eventsAsJson: boolean;
  after?: string;
  /** JUnit XML and Markdown files to write from the result, as `kbisect run` does. */
  reports?: CiReportFiles;
}

/**
 * Follows a bisect to its end: progress on stderr, then the report (stdout, or stderr with
 * --json), then with --json the result object as the last stdout line. Ctrl-C stops following
 * only: the bisect goes on in the service. Resolves with the exit code of `kbisect run`.
 */
export async function followToEnd(
  client: ApiClient,
  id: string,
  options: FollowToEndOptions,
): Promise<number> {
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    for await (const event of followEvents(client, id, {
      signal: controller.signal,
      ...(options.after ? { after: options.after } : {}),
      onReconnect: (attempt, error) =>
        process.stderr.write(
          `kbisect: connection to ${client.server} lost (${(error as Error).message}); reconnecting (${attempt})\n`,
        ),
    })) {
      if (options.json && options.eventsAsJson) {
        process.stdout.write(`${JSON.stringify(event)}\n`);
      }
      const text = progressText(event);
      if (text) process.stderr.write(`${text}\n`);
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (controller.signal.aborted) {
    process.stderr.write(`kbisect: stopped following; the bisect goes on: kbisect follow ${id}\n`);
    return EXIT.cancelled;
  }
  const view = await client.get(id);
  const code = printOutcome(view, options.json);
  if (isTerminal(view.status) && options.reports) {
    // A report file that cannot be written is said loudly but does not change the verdict.
    await writeCiReports(options.reports, {
      result: { ...resultOf(view), journal: view.journal },
      commits: view.commits ?? [],
      url: view.url,
    }).catch((error: Error) => process.stderr.write(`kbisect: ${error.message}\n`));
  }
  return code;
}

/** The result object of an ended bisect; one that ended without a result is an error. */
function resultOf(view: BisectView): ResultObject {
  return (
    view.result ??
    errorResultObject(new Error(`bisect ${view.id} ended ${view.status} without a result`))
  );
}

/** The report and the result object of an ended bisect; the exit code says how it ended. */
export function printOutcome(view: BisectView, json: boolean): number {
  if (!isTerminal(view.status)) {
    process.stderr.write(`kbisect: bisect ${view.id} is still ${view.status}\n`);
    return EXIT.error;
  }
  const result = resultOf(view);
  const report = serviceReport(view);
  const text = report ?? `${view.status}: ${result.error ?? result.reason ?? ''}`;
  (json ? process.stderr : process.stdout).write(`${text}\n`);
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
  return view.status === 'cancelled' ? EXIT.cancelled : exitCodeFor(result.status);
}

export type { BisectView };
