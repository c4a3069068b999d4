import { authorized } from './api.js';
import { askForToken, forgetToken, storeToken } from './auth.js';

export interface StreamEvent {
  id: string;
  type: string;
  data: unknown;
}

const RECONNECT_MS = 1000;

/**
 * Follows `GET /v1/bisects/:id/events` (Server-Sent Events) until its `end` event or until
 * `signal` aborts. Read with fetch, not EventSource: EventSource cannot send the
 * Authorization header, and a token must never go in the URL. A dropped connection is
 * resumed after the last event seen (Last-Event-ID), so no event is lost or repeated.
 */
export async function followEvents(
  bisectId: string,
  onEvent: (event: StreamEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  let lastId: string | undefined;
  while (!signal.aborted) {
    try {
      const headers = authorized(lastId ? { 'last-event-id': lastId } : {});
      const response = await fetch(`/v1/bisects/${encodeURIComponent(bisectId)}/events`, {
        headers,
        signal,
      });
      if (response.status === 401) {
        forgetToken();
        storeToken(await askForToken('The service refused the token; give it again.'));
        continue;
      }
      if (!response.ok || !response.body) throw new Error(`events: ${response.status}`);
      let ended = false;
      for await (const event of messages(response.body)) {
        lastId = event.id || lastId;
        onEvent(event);
        if (event.type === 'end') ended = true;
      }
      if (ended) return;
    } catch (error) {
      if (signal.aborted) return;
      console.warn('event stream interrupted; reconnecting', error);
    }
    await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
  }
}

/** The messages of an event stream as they arrive: `id:`, `event:`, `data:` lines, blank-ended. */
async function* messages(body: ReadableStream<Uint8Array>): AsyncGenerator<StreamEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = parse(block);
      if (event) yield event;
      end = buffer.indexOf('\n\n');
    }
  }
}

function parse(block: string): StreamEvent | undefined {
  let id = '';
  let type = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') id = value;
    else if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return undefined;
  const text = data.join('\n');
  try {
    return { id, type, data: JSON.parse(text) };
  } catch {
    return { id, type, data: text };
  }
}
