import { setTimeout as sleep } from 'node:timers/promises';
import type { BisectEventType } from '@kbisect/queue';
import { createParser } from 'eventsource-parser';
import type { ApiClient } from './api-client.js';
import { ApiRequestFailed } from './errors.js';

const ENDED = new Set(['found', 'inconclusive', 'not-distinguishable', 'error', 'cancelled']);

export interface FollowedEvent {
  id: string;
  type: BisectEventType;
  data: unknown;
}

export interface FollowOptions {
  /** Resume after this event id (Last-Event-ID); from the start when absent. */
  after?: string;
  signal?: AbortSignal;
  /** Told about each reconnect, for a "reconnecting..." line. */
  onReconnect?: (attempt: number, error: unknown) => void;
  /** Give up after this many failed reconnects in a row. */
  maxRetries?: number;
}

/**
 * The events of a bisect, in order, until its `end` event. A dropped connection (API
 * restart, proxy timeout) is reopened with Last-Event-ID, so no event is lost or repeated.
 */
export async function* followEvents(
  client: ApiClient,
  id: string,
  options: FollowOptions = {},
): AsyncGenerator<FollowedEvent> {
  let lastId = options.after;
  let failures = 0;
  const maxRetries = options.maxRetries ?? 30;
  const outer = options.signal ?? new AbortController().signal;
  for (;;) {
    const queue: FollowedEvent[] = [];
    const parser = createParser({
      onEvent(message) {
        if (!message.id || !message.event) return;
        queue.push({
          id: message.id,
          type: message.event as BisectEventType,
          data: JSON.parse(message.data),
        });
      },
    });
    const controller = new AbortController();
    const abort = () => controller.abort();
    outer.addEventListener('abort', abort, { once: true });
    try {
      const response = await client.events(id, lastId, controller.signal);
      const body = response.body;
      if (!body) throw new Error('the events response has no body');
      const decoder = new TextDecoder();
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        parser.feed(decoder.decode(chunk, { stream: true }));
        while (queue.length > 0) {
          const event = queue.shift() as FollowedEvent;
          lastId = event.id;
          failures = 0;
          yield event;
          if (event.type === 'end') return;
        }
      }
      // The server closed without `end`: resumed after the end, or a restart in between.
      const { status } = await client.get(id);
      if (ENDED.has(status)) return;
      throw new Error('the event stream closed before the bisect ended');
    } catch (error) {
      if (outer.aborted) return;
      // 4xx will not get better by retrying (unknown bisect, bad token).
      if (error instanceof ApiRequestFailed && error.status < 500) throw error;
      failures += 1;
      if (failures > maxRetries) throw error;
      options.onReconnect?.(failures, error);
      await sleep(Math.min(250 * 2 ** (failures - 1), 5000), undefined, { signal: outer }).catch(
        () => {},
      );
      if (outer.aborted) return;
    } finally {
      outer.removeEventListener('abort', abort);
      controller.abort();
    }
  }
}
