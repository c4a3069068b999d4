import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the receiver got it: raw body bytes, not re-serialized JSON. */
export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: Buffer;
  at: number;
}

/** What the receiver does with its n-th request: answer with a status, or never answer. */
export type Reply = number | 'hang';

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 (port 0: the kernel picks a free one) that answers its
 * requests with the scripted replies in order, the last one repeating.
 */
export async function startReceiver(replies: readonly Reply[]): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({ headers: req.headers, body: Buffer.concat(chunks), at: Date.now() });
      const reply = replies[Math.min(requests.length, replies.length) - 1] ?? 200;
      if (reply === 'hang') return;
      res.writeHead(reply, { 'content-type': 'text/plain' });
      res.end(reply < 300 ? 'ok' : `scripted ${reply}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/kbisect`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        // A hanging request holds its socket open; close() alone would wait for it forever.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
