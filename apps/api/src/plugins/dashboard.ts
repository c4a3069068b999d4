import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queues } from '@kbisect/queue';
import type { FastifyInstance } from 'fastify';

export const DASHBOARD_PATH = '/admin/queues';

/**
 * The BullMQ queues in bull-board at /admin/queues, behind an admin token (a browser sends it
 * as the Basic password). Registered in its own encapsulated scope: bull-board's view engine
 * and error handler stay out of the API.
 */
export async function registerDashboard(app: FastifyInstance, queues: Queues): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  createBullBoard({
    queues: [queues.coordinator, queues.build, queues.labTest].map(
      (queue) => new BullMQAdapter(queue as never),
    ),
    // @bull-board/fastify and @bull-board/api are released together but typed separately.
    serverAdapter: serverAdapter as never,
    options: { uiConfig: { boardTitle: 'kbisect queues' } },
  });
  serverAdapter.setBasePath(DASHBOARD_PATH);
  await app.register(async (scope) => {
    scope.addHook('onRequest', scope.requireScope('admin'));
    await scope.register(serverAdapter.registerPlugin() as never, { prefix: DASHBOARD_PATH });
  });
}
