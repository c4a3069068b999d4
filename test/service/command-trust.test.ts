import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { findBwrap, probeBwrap } from '@kbisect/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceHarness } from './support/service-harness.js';

/**
 * The attack of issue 13: a write token submits a build command that prints the worker's
 * environment and config. Through the real service (API, Redis, a worker process started the
 * way a deployment starts it, with the tokens in its environment and its config file named
 * there too), nothing secret may come back in anything a reader can GET.
 */
const LEAK = 'env | grep ^KBISECT; cat "$KBISECT_CONFIG"; exit 1';

let service: ServiceHarness;
const envSecret = randomBytes(16).toString('hex');

beforeAll(async () => {
  service = await ServiceHarness.start('trust');
  await service.startWorker({
    KBISECT_TOKENS: `leak-check=${envSecret}`,
    KBISECT_CONFIG: service.configFile,
  });
});
afterAll(() => service?.close());

/** Everything a reader of the bisect gets: the record with its journal, the log, the report. */
async function everythingReadable(id: string): Promise<string> {
  const parts = await Promise.all(
    [`/v1/bisects/${id}`, `/v1/bisects/${id}/log`, `/v1/bisects/${id}/report.txt`].map(
      async (path) => `${path}: ${await (await service.request('GET', path)).text()}`,
    ),
  );
  return parts.join('\n');
}

describe('a build command that tries to print the service secrets', () => {
  it('leaves no token and nothing of the config in the journal, log or report', async () => {
    const id = await service.submit(service.spec({ build: { command: LEAK } }));
    const view = await service.waitForEnd(id);
    const readable = await everythingReadable(id);
    // The command did run, and its output is what the journal kept: only the commit.
    const tails = view.journal
      .map((entry) => (entry.evidence?.build as { logTail?: string } | undefined)?.logTail)
      .filter((tail) => tail !== undefined);
    expect(tails.length).toBeGreaterThan(0);
    for (const tail of tails) expect(tail).toMatch(/^KBISECT_COMMIT=[0-9a-f]{40}/);
    expect(readable).toContain('KBISECT_COMMIT=');

    const config = readFileSync(service.configFile, 'utf8');
    for (const secret of [
      envSecret,
      service.tokens.writer,
      service.tokens.reader,
      service.tokens.admin,
      service.configFile,
    ]) {
      expect(readable).not.toContain(secret);
    }
    expect(readable).not.toContain('KBISECT_TOKENS=');
    expect(readable).not.toContain('KBISECT_CONFIG=');
    expect(readable).not.toContain(config.split('\n').find((line) => line.includes('redis')));
  });

  it('says in the worker start line how commands run', async () => {
    const bwrap = await findBwrap();
    const problem = bwrap ? await probeBwrap(bwrap) : 'bwrap is not installed';
    await service.workers[0]?.waitFor(
      problem ? /commands run with clean environment/ : /commands run with .*in bwrap/,
    );
  });
});
