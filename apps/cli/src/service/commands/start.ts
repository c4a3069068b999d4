import type { KernelBuildRequest } from '@kbisect/build';
import type { ServiceRunOptions } from '../../commands/run-options.js';
import { UsageError } from '../../usage-error.js';
import type { ApiClient } from '../client/api-client.js';
import { specFromRunOptions } from '../spec-from-options.js';
import { followToEnd } from './follow-to-end.js';

export interface StartOptions {
  wait: boolean;
  json: boolean;
  labels: Record<string, string>;
  kernel?: KernelBuildRequest;
  webhook?: string;
  lab?: string;
  idempotencyKey?: string;
  /** Unset: the service decides; true: builds ahead even on the build host; false: none. */
  speculate?: boolean;
}

/**
 * `kbisect start`: the options of `kbisect run`, sent to the API. Without --wait it prints
 * the bisect's id and URL and returns; with --wait it follows the bisect to its end and exits
 * as `kbisect run` would (0 found, 2 inconclusive, 3 not distinguishable, 1 error), writing
 * the --junit and --markdown files as `kbisect run` does.
 */
export async function startCommand(
  client: ApiClient,
  run: ServiceRunOptions,
  options: StartOptions,
): Promise<number> {
  const reports = {
    ...(run.junit ? { junit: run.junit } : {}),
    ...(run.markdown ? { markdown: run.markdown } : {}),
  };
  if (!options.wait && Object.keys(reports).length > 0) {
    throw new UsageError('--junit and --markdown need --wait: the result exists only at the end');
  }
  const spec = specFromRunOptions(run, {
    labels: options.labels,
    ...(options.kernel ? { kernel: options.kernel } : {}),
    ...(options.webhook ? { webhook: options.webhook } : {}),
    ...(options.lab ? { lab: options.lab } : {}),
  });
  if (options.speculate !== undefined) spec.speculate = options.speculate;
  const created = await client.submit(spec, options.idempotencyKey);
  if (!options.wait) {
    process.stdout.write(
      options.json ? `${JSON.stringify(created)}\n` : `${created.id}\n${created.url}\n`,
    );
    return 0;
  }
  process.stderr.write(`kbisect: bisect ${created.id} queued: ${created.url}\n`);
  return followToEnd(client, created.id, { json: options.json, eventsAsJson: false, reports });
}
