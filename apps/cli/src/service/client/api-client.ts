import type {
  BisectBody,
  BisectFix,
  BisectStatus,
  BisectSummary,
  BisectView,
  WatchBody,
  WatchRun,
  WatchView,
} from '@kbisect/contracts';
import type { JournalEntry } from '@kbisect/core';
import { ApiRequestFailed, ServerUnreachable } from './errors.js';

export interface Created {
  id: string;
  url: string;
  status: BisectStatus;
}

export interface ListQuery {
  status?: string;
  label?: string;
  limit?: number;
  cursor?: string;
}

export interface ClientOptions {
  /** e.g. http://127.0.0.1:8080 */
  server: string;
  token?: string;
}

/** The kbisect API over HTTP, as the CLI uses it: one method per route. */
export class ApiClient {
  readonly server: string;
  readonly #token: string | undefined;

  constructor({ server, token }: ClientOptions) {
    this.server = server.replace(/\/+$/, '');
    this.#token = token;
  }

  submit(spec: BisectBody, idempotencyKey?: string): Promise<Created> {
    return this.#json('POST', '/v1/bisects', spec, {
      ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
    });
  }

  get(id: string): Promise<BisectView> {
    return this.#json('GET', `/v1/bisects/${encodeURIComponent(id)}`);
  }

  list(query: ListQuery = {}): Promise<{ bisects: BisectSummary[]; next?: string }> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) params.set(key, String(value));
    }
    const search = params.size > 0 ? `?${params}` : '';
    return this.#json('GET', `/v1/bisects${search}`);
  }

  cancel(id: string): Promise<{ id: string; status: string }> {
    return this.#json('POST', `/v1/bisects/${encodeURIComponent(id)}/cancel`);
  }

  /** A bisect that ended in error runs again from its journal; `after` skips its old end. */
  resume(id: string): Promise<{ id: string; status: string; after?: string }> {
    return this.#json('POST', `/v1/bisects/${encodeURIComponent(id)}/resume`);
  }

  mark(
    id: string,
    commit: string,
    verdict: 'good' | 'bad' | 'skip',
    note?: string,
  ): Promise<{ index: number; entry: JournalEntry }> {
    return this.#json('POST', `/v1/bisects/${encodeURIComponent(id)}/verdicts`, {
      commit,
      verdict,
      ...(note ? { note } : {}),
    });
  }

  /** Records the commit that fixed what the bisect found. */
  fixed(id: string, commit: string, note?: string): Promise<BisectFix> {
    return this.#json('POST', `/v1/bisects/${encodeURIComponent(id)}/fixed`, {
      commit,
      ...(note ? { note } : {}),
    });
  }

  addWatch(spec: WatchBody): Promise<WatchView> {
    return this.#json('POST', '/v1/watches', spec);
  }

  watches(): Promise<{ watches: WatchView[] }> {
    return this.#json('GET', '/v1/watches');
  }

  watchRuns(id: string, limit?: number): Promise<{ runs: WatchRun[] }> {
    const query = limit !== undefined ? `?limit=${limit}` : '';
    return this.#json('GET', `/v1/watches/${encodeURIComponent(id)}/runs${query}`);
  }

  async removeWatch(id: string): Promise<void> {
    const path = `/v1/watches/${encodeURIComponent(id)}`;
    const response = await this.#fetch(path, {
      method: 'DELETE',
      signal: AbortSignal.timeout(120_000),
    });
    if (!response.ok) throw await failure('DELETE', path, response);
  }

  runWatch(id: string): Promise<{ watchId: string; runId: string }> {
    return this.#json('POST', `/v1/watches/${encodeURIComponent(id)}/run`);
  }

  /** Opens the SSE stream of a bisect, after `lastEventId` when given. */
  async events(
    id: string,
    lastEventId: string | undefined,
    signal: AbortSignal,
  ): Promise<Response> {
    const response = await this.#fetch(`/v1/bisects/${encodeURIComponent(id)}/events`, {
      method: 'GET',
      headers: {
        accept: 'text/event-stream',
        ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
      },
      signal,
    });
    if (!response.ok) throw await failure('GET', `/v1/bisects/${id}/events`, response);
    return response;
  }

  async #json<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    const response = await this.#fetch(path, {
      method,
      headers: {
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(120_000),
    });
    if (!response.ok) throw await failure(method, path, response);
    return (await response.json()) as T;
  }

  async #fetch(path: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.#token) headers.set('authorization', `Bearer ${this.#token}`);
    try {
      return await fetch(`${this.server}${path}`, { ...init, headers });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      throw new ServerUnreachable(this.server, error);
    }
  }
}

async function failure(
  method: string,
  path: string,
  response: Response,
): Promise<ApiRequestFailed> {
  const text = await response.text().catch(() => '');
  let message = text;
  let details: { path: string; message: string }[] = [];
  try {
    const body = JSON.parse(text) as { message?: string; details?: typeof details };
    message = body.message ?? text;
    details = body.details ?? [];
  } catch {
    // Not our JSON error body (a proxy's page, say): the text is the message.
  }
  return new ApiRequestFailed(method, path, response.status, message, details);
}
