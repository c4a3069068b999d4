import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './api-client.js';
import { followEvents } from './follow-events.js';

/**
 * A real HTTP server speaking the API's SSE route, which ends the stream after every third
 * event, alternately by resetting the connection and by closing it cleanly: the client must
 * reconnect with Last-Event-ID and lose or repeat nothing.
 */
const EVENTS = Array.from({ length: 10 }, (_, i) => ({
  id: `1000-${i}`,
  type: i === 9 ? 'end' : 'log',
  data: { msg: `line ${i}` },
}));
let server: Server;
let client: ApiClient;
const lastEventIds: (string | undefined)[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    if (!request.url?.endsWith('/events')) {
      // GET /v1/bisects/b1: asked after a clean close, to tell a restart from the end.
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ id: 'b1', status: 'running' }));
      return;
    }
    const last = request.headers['last-event-id'] as string | undefined;
    lastEventIds.push(last);
    const start = last ? EVENTS.findIndex((e) => e.id === last) + 1 : 0;
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const event of EVENTS.slice(start, start + 3)) {
      response.write(
        `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`,
      );
    }
    // Cut off mid-way, as a restarting API (reset) or a proxy timeout (clean close) would.
    if (lastEventIds.length % 2 === 1) {
      response.write('', () => setTimeout(() => request.socket.destroy(), 20));
    } else {
      response.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = new ApiClient({ server: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('following the events of a bisect', () => {
  it('reconnects after each drop with Last-Event-ID and yields every event once, in order, to the end', async () => {
    const seen: string[] = [];
    const reconnects: number[] = [];
    for await (const event of followEvents(client, 'b1', {
      onReconnect: (attempt) => reconnects.push(attempt),
    })) {
      seen.push(event.id);
    }
    expect(seen).toEqual(EVENTS.map((e) => e.id));
    expect(lastEventIds).toEqual([undefined, '1000-2', '1000-5', '1000-8']);
    expect(reconnects).toEqual([1, 1, 1]);
  });
});
