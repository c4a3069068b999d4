import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectTestRedis,
  deleteKeys,
  TEST_REDIS_URL,
  uniquePrefix,
} from '../../../test/support/test-redis.js';
import type { DeliveryAttempt } from './delivery-log.js';
import { HEADER, verifySignature } from './signature.js';
import { type Reply, startReceiver } from './testing/receiver.js';
import type { WebhookEvent } from './webhook-job.js';
import { WebhookNotifier } from './webhook-notifier.js';
import { startWebhookWorker, type WebhookWorker } from './webhook-worker.js';

const ATTEMPTS = 4;
const BACKOFF_MS = 20;
/**
 * Long enough that a receiver on loopback always answers within it on a loaded 2-core
 * machine (at 400 ms a stalled event loop made one delivery two requests); the receiver
 * that never answers pays it on each attempt.
 */
const TIMEOUT_MS = 1500;

let redis: Redis;
let prefix: string;
let notifier: WebhookNotifier;
let webhooks: WebhookWorker;
/** Secrets the worker signs with, by target id; a test adds its own target. */
const secrets = new Map<string, string>();
let counter = 0;

beforeAll(async () => {
  redis = connectTestRedis();
  prefix = uniquePrefix('notify');
  notifier = new WebhookNotifier({
    connection: redis,
    prefix,
    attempts: ATTEMPTS,
    backoffMs: BACKOFF_MS,
  });
  webhooks = startWebhookWorker({
    connection: redis,
    prefix,
    secretFor: (id) => secrets.get(id),
    timeoutMs: TIMEOUT_MS,
  });
  await webhooks.worker.waitUntilReady();
});

afterAll(async () => {
  await webhooks?.close();
  await notifier?.close();
  if (redis) {
    await deleteKeys(TEST_REDIS_URL, prefix);
    await redis.quit();
  }
});

/** A target on a fresh receiver and a fresh bisect id, so tests never share a log. */
async function scenario(replies: readonly Reply[], event: WebhookEvent = 'bisect.finished') {
  counter += 1;
  const receiver = await startReceiver(replies);
  const target = {
    id: `ci-${counter}`,
    url: receiver.url,
    secret: `whsec_test_${counter}_${prefix}`,
  };
  secrets.set(target.id, target.secret);
  const bisectId = `b-${counter}`;
  const payload = { status: 'found', culprit: '41c0520ba838e677d81520cb7492334fbd8d8f2a' };
  const [deliveryId] = await notifier.notify({ event, bisectId, payload, targets: [target] });
  return { receiver, target, bisectId, deliveryId: deliveryId as string };
}

/** Polls the delivery log until its last attempt is final (delivered or failed). */
async function settled(bisectId: string, timeoutMs = 10_000): Promise<DeliveryAttempt[]> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const log = await webhooks.deliveries.list(bisectId);
    const last = log.at(-1);
    if (last && last.outcome !== 'retrying') return log;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`the delivery of ${bisectId} did not settle within ${timeoutMs} ms`);
}

describe('webhook delivery through the queue', () => {
  it('delivers a signed JSON POST that the receiver verifies with its secret', async () => {
    const { receiver, target, bisectId, deliveryId } = await scenario([200]);
    try {
      const log = await settled(bisectId);
      expect(receiver.requests).toHaveLength(1);
      const request = receiver.requests[0];
      if (!request) throw new Error('no request');
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers[HEADER.event.toLowerCase()]).toBe('bisect.finished');
      expect(request.headers[HEADER.delivery.toLowerCase()]).toBe(deliveryId);
      expect(JSON.parse(request.body.toString('utf8'))).toEqual({
        status: 'found',
        culprit: '41c0520ba838e677d81520cb7492334fbd8d8f2a',
        event: 'bisect.finished',
        bisectId,
      });
      expect(
        verifySignature({ secret: target.secret, body: request.body, headers: request.headers }),
      ).toBe(true);
      expect(log).toEqual([
        expect.objectContaining({
          deliveryId,
          event: 'bisect.finished',
          targetId: target.id,
          origin: new URL(receiver.url).origin,
          attempt: 1,
          outcome: 'delivered',
          statusCode: 200,
        }),
      ]);
      // The log shows where, never the path: webhook URLs often embed their own token.
      expect(JSON.stringify(log)).not.toContain('/hooks/kbisect');
    } finally {
      await receiver.close();
    }
  });

  it('retries a receiver that fails twice and logs all three attempts', async () => {
    const { receiver, target, bisectId, deliveryId } = await scenario([503, 500, 200]);
    try {
      const log = await settled(bisectId);
      expect(log.map((a) => [a.attempt, a.statusCode, a.outcome])).toEqual([
        [1, 503, 'retrying'],
        [2, 500, 'retrying'],
        [3, 200, 'delivered'],
      ]);
      expect(log[0]?.error).toBe('HTTP 503: scripted 503');
      const [first, second, third] = receiver.requests;
      if (!first || !second || !third) throw new Error('expected three requests');
      // Exponential backoff: at least 20 ms, then at least 40 ms.
      expect(second.at - first.at).toBeGreaterThanOrEqual(BACKOFF_MS);
      expect(third.at - second.at).toBeGreaterThanOrEqual(2 * BACKOFF_MS);
      for (const request of receiver.requests) {
        // One delivery: same id and the same bytes every time, each attempt signed afresh.
        expect(request.headers[HEADER.delivery.toLowerCase()]).toBe(deliveryId);
        expect(request.body.equals(first.body)).toBe(true);
        expect(
          verifySignature({ secret: target.secret, body: request.body, headers: request.headers }),
        ).toBe(true);
      }
    } finally {
      await receiver.close();
    }
  });

  it('a delivery signed with another secret fails the receiver’s verification', async () => {
    const { receiver, target, bisectId } = await scenario([200], 'watch.regression');
    try {
      await settled(bisectId);
      const request = receiver.requests[0];
      if (!request) throw new Error('no request');
      expect(request.headers[HEADER.event.toLowerCase()]).toBe('watch.regression');
      expect(
        verifySignature({
          secret: 'whsec_someone-else',
          body: request.body,
          headers: request.headers,
        }),
      ).toBe(false);
      expect(
        verifySignature({ secret: target.secret, body: request.body, headers: request.headers }),
      ).toBe(true);
    } finally {
      await receiver.close();
    }
  });

  it('does not retry a 400: the receiver refused the content, not the moment', async () => {
    const { receiver, bisectId, deliveryId } = await scenario([400, 200]);
    try {
      const log = await settled(bisectId);
      // Failed for good, not waiting for a retry: no second request can come.
      await expect
        .poll(async () => (await notifier.queue.getJob(deliveryId))?.getState())
        .toBe('failed');
      expect(receiver.requests).toHaveLength(1);
      expect(log).toEqual([
        expect.objectContaining({ attempt: 1, statusCode: 400, outcome: 'failed' }),
      ]);
    } finally {
      await receiver.close();
    }
  });

  it('retries a 429, which is about timing, not content', async () => {
    const { receiver, bisectId } = await scenario([429, 200]);
    try {
      const log = await settled(bisectId);
      expect(log.map((a) => [a.statusCode, a.outcome])).toEqual([
        [429, 'retrying'],
        [200, 'delivered'],
      ]);
    } finally {
      await receiver.close();
    }
  });

  it('gives up on a receiver that never answers, each attempt ending at the timeout', async () => {
    const { receiver, bisectId } = await scenario(['hang']);
    try {
      const log = await settled(bisectId);
      expect(receiver.requests).toHaveLength(ATTEMPTS);
      expect(log.map((a) => a.outcome)).toEqual(['retrying', 'retrying', 'retrying', 'failed']);
      for (const attempt of log) {
        expect(attempt.error).toBe(`no response within ${TIMEOUT_MS} ms`);
        expect(attempt.statusCode).toBeUndefined();
        expect(attempt.durationMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
        expect(attempt.durationMs).toBeLessThan(TIMEOUT_MS + 1000);
      }
    } finally {
      await receiver.close();
    }
  });

  it('retries a receiver that refuses connections, then records the failure', async () => {
    const gone = await startReceiver([200]);
    await gone.close();
    counter += 1;
    const bisectId = `b-${counter}`;
    secrets.set('gone', 'whsec_gone');
    await notifier.notify({
      event: 'bisect.finished',
      bisectId,
      payload: {},
      targets: [{ id: 'gone', url: gone.url }],
    });
    const log = await settled(bisectId);
    expect(log).toHaveLength(ATTEMPTS);
    expect(log.at(-1)).toMatchObject({ outcome: 'failed' });
    expect(log[0]?.error).toMatch(/could not reach the receiver: .*ECONNREFUSED/);
  });

  it('sends one delivery when the same event is notified twice for a target', async () => {
    const { receiver, target, bisectId, deliveryId } = await scenario([200]);
    try {
      await settled(bisectId);
      await expect
        .poll(async () => (await notifier.queue.getJob(deliveryId))?.getState())
        .toBe('completed');
      const sent = await notifier.queue.getJob(deliveryId);
      const again = await notifier.notify({
        event: 'bisect.finished',
        bisectId,
        payload: { status: 'found' },
        targets: [target],
      });
      // The second notify found the delivered job and queued nothing: no job waits to send it
      // again, and the one job is the same finished one.
      expect(again).toEqual([deliveryId]);
      const job = await notifier.queue.getJob(deliveryId);
      expect(await job?.getState()).toBe('completed');
      expect(job?.finishedOn).toBe(sent?.finishedOn);
      expect(job?.attemptsMade).toBe(1);
      expect(await notifier.queue.getJobCounts('waiting', 'active', 'delayed')).toEqual({
        waiting: 0,
        active: 0,
        delayed: 0,
      });
      expect(receiver.requests).toHaveLength(1);
      expect(await webhooks.deliveries.list(bisectId)).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });

  it('sends nothing unsigned when the target’s secret is gone', async () => {
    const { receiver, bisectId } = await (async () => {
      const r = await startReceiver([200]);
      counter += 1;
      const id = `b-${counter}`;
      await notifier.notify({
        event: 'bisect.finished',
        bisectId: id,
        payload: {},
        targets: [{ id: 'no-secret', url: r.url }],
      });
      return { receiver: r, bisectId: id };
    })();
    try {
      const log = await settled(bisectId);
      expect(receiver.requests).toHaveLength(0);
      expect(log).toEqual([
        expect.objectContaining({ outcome: 'failed', error: expect.stringContaining('no secret') }),
      ]);
    } finally {
      await receiver.close();
    }
  });
});
