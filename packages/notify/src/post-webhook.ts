/** What one POST to a receiver came to. */
export type AttemptOutcome =
  | { ok: true; statusCode: number; durationMs: number }
  | {
      ok: false;
      /** Whether the same bytes sent again can succeed. */
      retryable: boolean;
      statusCode?: number;
      error: string;
      durationMs: number;
      /** The receiver's Retry-After, in ms, when it sent one. */
      retryAfterMs?: number;
    };

export interface PostRequest {
  url: string;
  body: string;
  headers: Readonly<Record<string, string>>;
}

/** Enough of an error page to see why ("invalid signature"), never a whole HTML page. */
const SNIPPET_BYTES = 300;

/**
 * Retried: 408 and 429 (the receiver was busy or slow: timing, not content), every 5xx, and
 * no answer at all (refused, reset, timed out). Not retried: any other 4xx, because the
 * receiver read the request and refused it (wrong secret, unknown route, a body it rejects);
 * the same bytes get the same answer, so retrying only delays the alert, hammers the
 * receiver, and fills the delivery log. Nor a 3xx: the redirect is not followed, since it
 * would send the signed body to a URL nobody configured; the target URL must be fixed.
 */
export function isRetryableStatus(statusCode: number): boolean {
  return statusCode === 408 || statusCode === 429 || statusCode >= 500;
}

/** One POST with a deadline over the whole exchange: connect, send, status and body. */
export async function postWebhook(
  request: PostRequest,
  options: { timeoutMs: number },
): Promise<AttemptOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    const response = await fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal,
    });
    const snippet = await readSnippet(response);
    const statusCode = response.status;
    if (statusCode >= 200 && statusCode < 300)
      return { ok: true, statusCode, durationMs: elapsed() };
    const retryAfterMs = retryAfter(response.headers.get('retry-after'));
    return {
      ok: false,
      retryable: isRetryableStatus(statusCode),
      statusCode,
      error: `HTTP ${statusCode}${snippet ? `: ${snippet}` : ''}`,
      durationMs: elapsed(),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  } catch (error) {
    const timedOut = signal.aborted;
    return {
      ok: false,
      retryable: true,
      error: timedOut
        ? `no response within ${options.timeoutMs} ms`
        : `could not reach the receiver: ${describeNetworkError(error)}`,
      durationMs: elapsed(),
    };
  }
}

async function readSnippet(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < SNIPPET_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } finally {
    // Frees the connection without downloading the rest of a large error page.
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks)
    .subarray(0, SNIPPET_BYTES)
    .toString('utf8')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Retry-After as delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
function retryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** fetch hides the socket error in `cause` ("ECONNREFUSED 127.0.0.1:9"). */
function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  if (cause?.code || cause?.message) return [cause.code, cause.message].filter(Boolean).join(' ');
  return error instanceof Error ? error.message : String(error);
}
