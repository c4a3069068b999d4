import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRunning } from '../support/process-alive.js';
import { ServiceHarness } from './support/service-harness.js';
import { readSse } from './support/sse.js';

let service: ServiceHarness;

beforeAll(async () => {
  // The build writes its pid (a host pid) outside its worktree for the test: no bwrap, whose
  // pid namespace and read-only host would hide both.
  service = await ServiceHarness.start('cancel', { sections: { sandbox: { mode: 'none' } } });
  await service.startWorker();
});
afterAll(() => service?.close());

describe('cancelling a running bisect', () => {
  it('kills its build by pid, removes its worktrees and ends it as cancelled within seconds', async () => {
    const pidFile = join(service.work, 'build.pid');
    // The build records its shell's pid, then hangs: only a cancel can end it.
    const id = await service.submit(
      service.spec({ build: { command: `echo $$ > ${pidFile}; exec sleep 120` } }),
    );
    const events = readSse(`${service.api.url}/v1/bisects/${id}/events`, { timeoutMs: 60_000 });
    const deadline = Date.now() + 30_000;
    while (!existsSync(pidFile) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(isRunning(pid)).toBe(true);

    const answer = await service.request('POST', `/v1/bisects/${id}/cancel`, {
      token: service.tokens.writer,
      body: {},
    });
    expect(answer.status).toBe(202);
    // Usually the coordinator ends it; if its job was just handed back to the queue (a lock
    // renewal late on a loaded machine), the API ends it at once. The build dies either way.
    expect(['cancelling', 'cancelled']).toContain(
      ((await answer.json()) as { status: string }).status,
    );
    // "Within seconds" is the bound of these waits (a build of `sleep 120` would otherwise
    // hold it for two minutes), not a stopwatch that a loaded machine could stretch.
    const view = await service.waitForEnd(id, 15_000);
    expect(view.status).toBe('cancelled');
    // When the API ended the bisect itself, the worker's kill lands a moment later.
    await expect.poll(() => isRunning(pid), { timeout: 15_000 }).toBe(false);
    expect(existsSync(join(service.config.cacheDir, 'worktrees', id))).toBe(false);
    const stream = await events;
    expect(stream.at(-1)?.event).toBe('end');
    expect(stream.at(-1)?.data).toEqual({ status: 'cancelled' });
  });
});

describe('marking commits by hand while the bisect runs', () => {
  it('decides again from the marks and names the culprit without testing the marked commits', async () => {
    const project = service.project;
    const id = await service.submit(service.spec({ build: { command: 'sleep 0.3; make -s' } }));
    let view = await service.bisect(id);
    while (view.journal.length < 2) {
      await new Promise((r) => setTimeout(r, 50));
      view = await service.bisect(id);
    }
    const good = await service.request('POST', `/v1/bisects/${id}/verdicts`, {
      token: service.tokens.writer,
      body: { commit: `${project.culprit}^`, verdict: 'good', note: 'tested by hand' },
    });
    expect(good.status).toBe(201);
    const culpritParent = ((await good.json()) as { entry: { commit: string } }).entry.commit;
    const bad = await service.request('POST', `/v1/bisects/${id}/verdicts`, {
      token: service.tokens.writer,
      body: { commit: project.culprit, verdict: 'bad' },
    });
    expect(bad.status).toBe(201);

    const ended = await service.waitForEnd(id);
    expect(ended.result?.culprit).toBe(project.culprit);
    const manual = ended.journal.filter((e) => e.source === 'manual').map((e) => e.commit);
    expect(manual).toEqual([culpritParent, project.culprit]);
    const oracleAfterMarks = ended.journal
      .slice(ended.journal.findIndex((e) => e.source === 'manual'))
      .filter((e) => e.source === 'oracle')
      .map((e) => e.commit);
    expect(oracleAfterMarks).not.toContain(project.culprit);
    expect(oracleAfterMarks).not.toContain(culpritParent);
    expect(service.workers[0]?.output).toMatch(/the journal changed under this step/);
  });
});
