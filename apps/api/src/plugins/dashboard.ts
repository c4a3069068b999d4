import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { labTestQueuesShown } from '../lab-test-queues.js';

export const DASHBOARD_PATH = '/admin/queues';

/**
 * The BullMQ queues in bull-board at /admin/queues, behind an admin token (a browser sends it
 * as the Basic password). Registered in its own encapsulated scope: bull-board's view engine
 * and error handler stay out of the API. Worker hosts announce themselves while the API runs,
 * so the list of lab-test queues is brought up to date on every dashboard request.
 */
export async function registerDashboard(
  app: FastifyInstance,
  ctx: Pick<ApiContext, 'config' | 'queues' | 'stores'>,
): Promise<void> {
  const { queues } = ctx;
  const labTestQueues = await labTestQueuesShown(ctx);
  const adapters = async () =>
    [queues.coordinator, queues.build, ...(await labTestQueues())].map(
      (queue) => new BullMQAdapter(queue as never),
    );
  const serverAdapter = new FastifyAdapter();
  let shown = (await labTestQueues()).map((queue) => queue.name).join();
  const board = createBullBoard({
    queues: await adapters(),
    // @bull-board/fastify and @bull-board/api are released together but typed separately.
    serverAdapter: serverAdapter as never,
    options: { uiConfig: { boardTitle: 'kbisect queues' } },
  });
  serverAdapter.setBasePath(DASHBOARD_PATH);
  await app.register(async (scope) => {
    scope.addHook('onRequest', scope.requireScope('admin'));
    scope.addHook('onRequest', async () => {
      const now = (await labTestQueues()).map((queue) => queue.name).join();
      if (now === shown) return;
      shown = now;
      board.replaceQueues(await adapters());
    });
    await scope.register(serverAdapter.registerPlugin() as never, { prefix: DASHBOARD_PATH });
  });
}
