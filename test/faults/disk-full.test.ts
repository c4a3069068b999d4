import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedJournal } from '../service/support/expected-journal.js';
import { kbisect } from '../service/support/run-cli.js';
import { ServiceHarness } from '../service/support/service-harness.js';
import { SmallDisk } from './support/small-disk.js';
import { ended, verdictsOf, waitForBisect, waitForLogLine } from './support/wait.js';

/**
 * The cache of the service (mirrors, worktrees, builds) on a 48 MB tmpfs that the test fills
 * mid-bisect: a full disk is the build host's fault, not the commit's. The step waits and
 * says so; a disk that stays full past the retries ends the bisect in error, with the figure,
 * and it is resumed from its journal once there is room again.
 */
let work: string;
let expected: string[];
const disks: SmallDisk[] = [];
const services: ServiceHarness[] = [];

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'kbisect-disk-'));
});
afterAll(async () => {
  for (const service of services) await service.close();
  for (const disk of disks) disk.unmount();
  rmSync(work, { recursive: true, force: true });
});

async function serviceOnSmallDisk(name: string, retryForMs: number) {
  const disk = SmallDisk.mount(join(work, name), 48);
  disks.push(disk);
  const service = await ServiceHarness.start(name, {
    cacheDir: disk.dir,
    infrastructure: { retryFirstMs: 250, retryMaxMs: 500, retryForMs, minFreeMb: 8 },
  });
  services.push(service);
  expected ??= await expectedJournal(service.project, join(work, `${name}-reference`));
  return { disk, service };
}

const readyz = async (service: ServiceHarness) => {
  const response = await service.request('GET', '/readyz');
  return { status: response.status, body: (await response.json()) as { disk?: string } };
};

describe('a disk that fills up in the middle of a bisect', () => {
  it('makes the step wait, visibly, and the bisect goes on when there is room again', async () => {
    const { disk, service } = await serviceOnSmallDisk('disk-wait', 60_000);
    await service.startWorker();
    expect((await readyz(service)).status).toBe(200);
    const id = await service.submit(service.spec({ build: { command: 'sleep 0.2; make -s' } }));
    await waitForBisect(service, id, (v) => v.journal.length >= 2, 'two verdicts');

    disk.fill();
    const waiting = await waitForLogLine(service, id, /^waiting: disk full on build host/);
    expect(waiting).toMatch(
      /^waiting: disk full on build host \S+ \(ENOSPC\), retry \d+ in \d+ s$/,
    );
    const full = await readyz(service);
    expect(full.status).toBe(503);
    expect(full.body.disk).toMatch(/MB free of .* MB in .*, below the floor of 8 MB/);
    // Still running: the step waits for the disk rather than failing the commit.
    expect((await service.bisect(id)).status).toBe('running');
    await new Promise((r) => setTimeout(r, 2000));
    expect((await service.bisect(id)).status).toBe('running');

    disk.free();
    expect((await readyz(service)).status).toBe(200);
    const view = await waitForBisect(service, id, ended, 'the end');
    expect(view.status).toBe('found');
    expect(view.result?.culprit).toBe(service.project.culprit);
    // No skip for a commit whose build only failed for want of disk, nothing twice.
    expect(verdictsOf(view)).toEqual(expected);
  });

  it('ends the bisect in error with the figure when it stays full, and resume finishes it from the journal', async () => {
    const { disk, service } = await serviceOnSmallDisk('disk-resume', 1500);
    await service.startWorker();
    const id = await service.submit(service.spec({ build: { command: 'sleep 0.2; make -s' } }));
    const before = await waitForBisect(service, id, (v) => v.journal.length >= 2, 'two verdicts');

    disk.fill();
    const failed = await waitForBisect(service, id, ended, 'the end');
    expect(failed.status).toBe('error');
    expect(failed.result?.error).toMatch(/disk full on build host \S+ \(ENOSPC\): .*MB free of/);
    const atError = verdictsOf(failed);
    expect(atError.slice(0, before.journal.length)).toEqual(verdictsOf(before));

    disk.free();
    const resume = () =>
      service.request('POST', `/v1/bisects/${id}/resume`, { token: service.tokens.writer });
    const anonymous = await service.request('POST', `/v1/bisects/${id}/resume`);
    expect(anonymous.status).toBe(401);
    // `kbisect resume ID` is the client of POST /v1/bisects/:id/resume.
    const resumed = await kbisect(['resume', id, '--json'], {
      KBISECT_SERVER: service.api.url,
      KBISECT_TOKEN: service.tokens.writer,
    });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.json).toMatchObject({ id, status: 'queued', after: expect.any(String) });
    const again = await resume();
    expect(again.status).toBe(409);
    expect(((await again.json()) as { message: string }).message).toMatch(
      /only a bisect that ended in error can be resumed/,
    );

    const view = await waitForBisect(service, id, ended, 'the end after the resume');
    expect(view.status).toBe('found');
    expect(view.result?.culprit).toBe(service.project.culprit);
    // The journal went on from where the error left it: the same verdicts as a run nobody
    // disturbed, none measured twice.
    expect(verdictsOf(view).slice(0, atError.length)).toEqual(atError);
    expect(verdictsOf(view)).toEqual(expected);
    expect((await resume()).status).toBe(409);
  });
});
