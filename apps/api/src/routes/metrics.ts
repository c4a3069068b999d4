import { BISECT_STATUSES } from '@kbisect/contracts';
import type { LabTestQueue, Stores } from '@kbisect/queue';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { ApiContext } from '../context.js';
import { labTestQueuesShown } from '../lab-test-queues.js';

/**
 * Prometheus metrics: queue depths by state, bisects by status and step durations. The
 * numbers live in Redis (workers measure, this process is scraped), so they are read at
 * scrape time.
 */
export async function metricRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'kbisect_api_' });
  queueGauge(registry, ctx, await labTestQueuesShown(ctx));
  bisectGauge(registry, ctx.stores);
  registry.registerMetric(stepHistogram(ctx.stores) as never);

  app.get(
    '/metrics',
    {
      // A read like any other; auth.metricsToken lets a scraper in without a read token.
      onRequest: app.requireScope('metrics'),
      schema: { summary: 'Prometheus metrics', tags: ['operations'], produces: ['text/plain'] },
    },
    async (_request, reply) => {
      reply.type(registry.contentType);
      return registry.metrics();
    },
  );
}

function queueGauge(
  registry: Registry,
  ctx: ApiContext,
  labTestQueues: () => Promise<LabTestQueue[]>,
): void {
  new Gauge({
    name: 'kbisect_queue_jobs',
    help: 'Jobs in each BullMQ queue, by state',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      const queues = [
        ctx.queues.coordinator,
        ctx.queues.build,
        ...(await labTestQueues()),
      ] as const;
      this.reset();
      for (const queue of queues) {
        const counts = await queue.getJobCounts();
        for (const [state, count] of Object.entries(counts))
          this.set({ queue: queue.name, state }, count);
      }
    },
  });
}

function bisectGauge(registry: Registry, stores: Stores): void {
  new Gauge({
    name: 'kbisect_bisects',
    help: 'Bisects by status',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const counts = await stores.bisects.countByStatus();
      for (const status of BISECT_STATUSES) this.set({ status }, counts[status]);
    },
  });
}

/**
 * A histogram whose counts come from Redis: prom-client's Histogram only counts what this
 * process observes, so this implements the registry's metric interface directly.
 */
function stepHistogram(stores: Stores) {
  const name = 'kbisect_step_seconds';
  return {
    name,
    help: 'Duration of bisect steps: build, and oracle testing of one commit',
    type: 'histogram',
    aggregator: 'sum',
    reset() {},
    async get() {
      const histograms = await stores.stepMetrics.read();
      const values = histograms.flatMap((h) => [
        ...h.buckets.map((b) => ({
          labels: { kind: h.kind, le: b.le },
          value: b.count,
          metricName: `${name}_bucket`,
        })),
        { labels: { kind: h.kind, le: '+Inf' }, value: h.count, metricName: `${name}_bucket` },
        { labels: { kind: h.kind }, value: h.sum, metricName: `${name}_sum` },
        { labels: { kind: h.kind }, value: h.count, metricName: `${name}_count` },
      ]);
      return { name, help: this.help, type: 'histogram', values, aggregator: 'sum' };
    },
  };
}
