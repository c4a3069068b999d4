import { hostname } from 'node:os';
import { loadServiceLabs } from '@kbisect/config';
import { hostQueueName, labTestQueuesServed } from '@kbisect/contracts';
import type { LabTestQueue } from '@kbisect/queue';
import type { ApiContext } from './context.js';

/**
 * The lab-test queues the API shows (/metrics, bull-board): those of the configured labs and
 * pools, which this configuration names, and the `local` queue of every worker host, which
 * the workers announce at start (and of this host, for a single-host setup before its worker
 * has started).
 */
export async function labTestQueuesShown(
  ctx: Pick<ApiContext, 'config' | 'queues' | 'stores'>,
): Promise<() => Promise<LabTestQueue[]>> {
  // Read once, like the bisect routes do: a bad lab file stops the API at start.
  const labs = await loadServiceLabs(ctx.config);
  const configured = labTestQueuesServed(labs.values(), hostname());
  return async () => {
    const hosts = (await ctx.stores.labTestHosts.list()).map(hostQueueName);
    const names = [...new Set([...configured, ...hosts])].sort();
    return names.map((name) => ctx.queues.labTest.get(name));
  };
}
