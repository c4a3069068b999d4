import { createParser } from 'eventsource-parser';

export interface SseEvent {
  id: string;
  event: string;
  data: unknown;
}

/**
 * Reads an SSE response to its end (the server closes after `end`), or until `until` says
 * stop, with a deadline so a test never hangs on a stream.
 */
export async function readSse(
  url: string,
  {
    headers = {},
    timeoutMs = 60_000,
    until,
  }: {
    headers?: Record<string, string>;
    timeoutMs?: number;
    until?: (e: SseEvent) => boolean;
  } = {},
): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let stop = false;
  const parser = createParser({
    onEvent(message) {
      if (stop) return;
      const event = {
        id: message.id ?? '',
        event: message.event ?? 'message',
        data: JSON.parse(message.data),
      };
      events.push(event);
      if (until?.(event)) stop = true;
    },
  });
  try {
    const response = await fetch(url, { headers, signal: controller.signal });
    if (!response.ok || !response.body) throw new Error(`SSE ${url}: ${response.status}`);
    const decoder = new TextDecoder();
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      parser.feed(decoder.decode(chunk, { stream: true }));
      if (stop) break;
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
    throw new Error(`SSE ${url}: no end within ${timeoutMs} ms (${events.length} events)`);
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return events;
}
