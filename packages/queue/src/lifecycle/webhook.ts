import { setTimeout as sleep } from 'node:timers/promises';
import type { ResultObject } from '../result/result-object.js';

/** The logging a lifecycle step needs; a pino logger fits. */
export interface LifecycleLog {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
}

export interface WebhookBody {
  id: string;
  status: string;
  result: ResultObject;
}

/**
 * POSTs the result to the bisect's webhook: three tries, 10 s each, with a pause between.
 * A webhook that stays down is logged, never fatal: the result is in the store either way.
 */
export async function callWebhook(
  url: string,
  body: WebhookBody,
  log: LifecycleLog,
): Promise<boolean> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'kbisect' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      if (response.ok) {
        log.info({ webhook: url, status: response.status }, 'webhook called');
        return true;
      }
      log.warn({ webhook: url, status: response.status, attempt }, 'webhook refused the result');
    } catch (error) {
      log.warn({ webhook: url, attempt, err: (error as Error).message }, 'webhook unreachable');
    }
    if (attempt < 3) await sleep(1000 * attempt);
  }
  return false;
}
