import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceHarness } from './support/service-harness.js';

let service: ServiceHarness;

beforeAll(async () => {
  service = await ServiceHarness.start('sigterm', { shutdownGraceMs: 2000 });
});
afterAll(() => service?.close());

describe('a worker stopped with SIGTERM in the middle of a bisect', () => {
  it('hands the bisect back and exits cleanly; another worker finishes it from the journal', async () => {
    const worker = await service.startWorker();
    const id = await service.submit(service.spec({ build: { command: 'sleep 0.3; make -s' } }));
    let atStop = await service.bisect(id);
    while (atStop.journal.length < 2) {
      await new Promise((r) => setTimeout(r, 50));
      atStop = await service.bisect(id);
    }
    const stopping = Date.now();
    worker.kill('SIGTERM');
    const exit = await worker.exited;
    expect(exit.code).toBe(0);
    // Within the 2 s grace for the running build, plus closing the connections.
    expect(Date.now() - stopping).toBeLessThan(10_000);
    expect(worker.output).toMatch(/the bisect goes back to the queue/);
    expect(worker.output).toMatch(/worker stopped/);
    const handedBack = await service.bisect(id);
    expect(handedBack.status).toBe('running');

    const next = await service.startWorker();
    const view = await service.waitForEnd(id);
    expect(view.result?.culprit).toBe(service.project.culprit);
    const commits = view.journal.map((e) => e.commit);
    expect(new Set(commits).size).toBe(commits.length);
    expect(commits.slice(0, handedBack.journal.length)).toEqual(
      handedBack.journal.map((e) => e.commit),
    );
    expect(next.output).toMatch(/continuing from the journal/);
  });
});
