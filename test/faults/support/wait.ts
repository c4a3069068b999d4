import type { BisectViewBody, ServiceHarness } from '../../service/support/service-harness.js';
import { readSse } from '../../service/support/sse.js';

/** Polls the bisect until `ready` holds; tolerates the 503s of a Redis outage meanwhile. */
export async function waitForBisect(
  service: ServiceHarness,
  id: string,
  ready: (view: BisectViewBody) => boolean,
  what: string,
  timeoutMs = 90_000,
): Promise<BisectViewBody> {
  const deadline = Date.now() + timeoutMs;
  let last: BisectViewBody | string = 'no answer yet';
  for (;;) {
    try {
      last = await service.bisect(id);
      if (ready(last)) return last;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `bisect ${id}: ${what} did not happen in ${timeoutMs} ms; last ${JSON.stringify(last).slice(0, 2000)}; ` +
          `worker logs:\n${service.workerLogs(5000)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const ended = (view: BisectViewBody) => !['queued', 'running'].includes(view.status);

/** Reads the bisect's event stream until a log line matches `pattern`; resolves with its text. */
export async function waitForLogLine(
  service: ServiceHarness,
  id: string,
  pattern: RegExp,
  timeoutMs = 60_000,
): Promise<string> {
  const events = await readSse(`${service.api.url}/v1/bisects/${id}/events`, {
    timeoutMs,
    until: (e) => e.event === 'log' && pattern.test(String((e.data as { msg?: string }).msg)),
  });
  const line = events
    .map((e) => String((e.data as { msg?: string }).msg))
    .find((msg) => pattern.test(msg));
  if (!line)
    throw new Error(`no log line ${pattern} in the events of ${id} within ${timeoutMs} ms`);
  return line;
}

export const verdictsOf = (view: BisectViewBody) =>
  view.journal.map((e) => `${e.commit} ${e.verdict}`);
