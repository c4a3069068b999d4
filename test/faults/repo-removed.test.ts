import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedJournal } from '../service/support/expected-journal.js';
import { ServiceHarness, SHORT_LOCKS } from '../service/support/service-harness.js';
import { ended, verdictsOf, waitForBisect } from './support/wait.js';

let service: ServiceHarness;

beforeAll(async () => {
  service = await ServiceHarness.start('repo-removed', SHORT_LOCKS);
});
afterAll(() => service?.close());

describe('a bisect whose source repository is removed mid-bisect', () => {
  it('goes on from its mirror, even on a new worker, to the same culprit and journal', async () => {
    const expected = await expectedJournal(service.project, join(service.work, 'reference'));
    const worker = await service.startWorker();
    const id = await service.submit(service.spec({ build: { command: 'sleep 0.2; make -s' } }));
    await waitForBisect(service, id, (v) => v.journal.length >= 2, 'two verdicts');

    rmSync(service.project.dir, { recursive: true, force: true });
    // A new worker process opens the mirror afresh: it cannot fetch from the source any more.
    worker.kill('SIGKILL');
    await worker.exited;
    const next = await service.startWorker();

    const view = await waitForBisect(service, id, ended, 'the end');
    expect(view.status, JSON.stringify(view.result)).toBe('found');
    expect(view.result?.culprit).toBe(service.project.culprit);
    expect(verdictsOf(view)).toEqual(expected);
    expect(next.output).toMatch(/continuing from the journal/);
    expect(next.output).toMatch(/cannot fetch from the source/);
  });
});
