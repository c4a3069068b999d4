import { askForToken, forgetToken, storedToken, storeToken } from './auth.js';
import type { Caller } from './types.js';

/** An answer of the API that is not a success, with the API's own message. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function authorized(headers: HeadersInit = {}): Headers {
  const result = new Headers(headers);
  const token = storedToken();
  if (token) result.set('authorization', `Bearer ${token}`);
  return result;
}

/**
 * A request with the tab's token. A 401 (a token the service no longer knows) asks for a
 * token again and repeats the request with it.
 */
export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  for (;;) {
    const response = await fetch(path, { ...init, headers: authorized(init.headers) });
    if (response.status !== 401) return response;
    const { message } = (await response.json().catch(() => ({}))) as { message?: string };
    forgetToken();
    storeToken(await askForToken(message ?? 'The service needs an API token.'));
  }
}

async function checked(response: Response): Promise<Response> {
  if (response.ok) return response;
  const { message } = (await response.json().catch(() => ({}))) as { message?: string };
  throw new ApiError(response.status, message ?? `${response.status} ${response.statusText}`);
}

export const getJson = async <T>(path: string): Promise<T> =>
  (await (await checked(await request(path))).json()) as T;

export const getText = async (path: string): Promise<string> =>
  (await checked(await request(path))).text();

export async function postJson<T>(path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method: 'POST' };
  if (body !== undefined) {
    init.headers = { 'content-type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  return (await (await checked(await request(path, init))).json()) as T;
}

/**
 * Who this tab is to the service. Asks for a token first when reads need one and the tab has
 * none (or one the service refuses), so the page never shows a wall of 401s.
 */
export async function session(): Promise<Caller> {
  let reason = 'This service needs an API token to show its bisects.';
  for (;;) {
    const response = await fetch('/v1/me', { headers: authorized() });
    if (response.ok) {
      const caller = (await response.json()) as Caller;
      if (caller.authenticated || !caller.readsNeedToken) return caller;
    } else if (response.status === 401) {
      forgetToken();
      reason = 'That token is not one of the service’s tokens; try another.';
    } else {
      await checked(response);
    }
    storeToken(await askForToken(reason));
  }
}

/** Saves a report the API serves (it needs the token, so a plain link would not do). */
export async function download(path: string, fileName: string): Promise<void> {
  const response = await checked(await request(path));
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
