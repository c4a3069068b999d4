import { randomBytes } from 'node:crypto';
import { loadConfig } from '@kbisect/config';
import { createStores, type Stores, type StreamEvent } from '@kbisect/queue';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL } from '../../../../test/support/test-redis.js';
import { EventHub } from './event-hub.js';

const url = TEST_REDIS_URL;
const prefix = `kbisect-test-hub-${process.pid}-${randomBytes(3).toString('hex')}`;
let redis: Redis;
let stores: Stores;
let hub: EventHub;

beforeAll(async () => {
  redis = new Redis(url, { maxRetriesPerRequest: null });
  stores = createStores(redis, await loadConfig({ env: { KBISECT_REDIS_PREFIX: prefix } }));
  hub = new EventHub(stores.events, redis, pino({ level: 'silent' }));
});
afterAll(async () => {
  hub.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

describe('the event hub', () => {
  it('gives each of 50 followers, joining while events are written, every event after its start once and in order', async () => {
    const bisect = 'fanout';
    const total = 400;
    const written: string[] = [];
    const followers: { start: string | undefined; got: StreamEvent[]; stop?: () => void }[] = [];
    const producer = (async () => {
      for (let i = 0; i < total; i++) {
        written.push((await stores.events.append(bisect, 'log', { i })) as string);
        if (i % 8 === 0) {
          // A follower joins now, resuming after a random event already written (or from the start).
          const start =
            i % 16 === 0 ? undefined : written[Math.floor(Math.random() * written.length)];
          const follower = { start, got: [] as StreamEvent[] } as (typeof followers)[number];
          followers.push(follower);
          follower.stop = await hub.follow(bisect, start, (events) => follower.got.push(...events));
        }
      }
    })();
    await producer;
    const deadline = Date.now() + 10_000;
    const expectedFor = (start: string | undefined) =>
      start === undefined ? written : written.slice(written.indexOf(start) + 1);
    while (
      followers.some((f) => f.got.length < expectedFor(f.start).length) &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(followers).toHaveLength(50);
    for (const follower of followers) {
      expect(follower.got.map((e) => e.id)).toEqual(expectedFor(follower.start));
      follower.stop?.();
    }
  });

  it('ends a tail when its last follower leaves, and starts a new one for the next follower', async () => {
    const bisect = 'lifecycle';
    await stores.events.append(bisect, 'status', { status: 'queued' });
    const first: StreamEvent[] = [];
    const stop = await hub.follow(bisect, undefined, (events) => first.push(...events));
    expect(hub.tailed).toContain(bisect);
    stop();
    // The tail notices within one blocking read that nobody follows, and ends (its connection
    // closed); the next follower must start a new one.
    await expect.poll(() => hub.tailed, { timeout: 10_000 }).not.toContain(bisect);
    await stores.events.append(bisect, 'status', { status: 'running' });
    const second: StreamEvent[] = [];
    const stopSecond = await hub.follow(bisect, undefined, (events) => second.push(...events));
    expect(hub.tailed).toContain(bisect);
    await stores.events.append(bisect, 'end', { status: 'found' });
    await expect.poll(() => second.length, { timeout: 10_000 }).toBe(3);
    stopSecond();
    expect(first.map((e) => e.type)).toEqual(['status']);
    expect(second.map((e) => e.type)).toEqual(['status', 'status', 'end']);
  });
});
