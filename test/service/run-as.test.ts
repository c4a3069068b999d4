import { spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipOnHost } from '../support/requirements.js';
import { RECORD_ORACLE, ServiceHarness } from './support/service-harness.js';

/**
 * `sandbox.runAs` through the real service: the worker (root) builds and measures every
 * commit as `nobody`, in worktrees it gave to that user, and still names the culprit.
 */
const root = process.getuid?.() === 0;
let service: ServiceHarness | undefined;

beforeAll(async () => {
  if (!root) return;
  service = await ServiceHarness.start('run-as', {
    sections: { sandbox: { runAs: 'nobody' } },
  });
  // mkdtemp makes the test directory mode 700: nobody could not reach its worktrees.
  chmodSync(service.work, 0o755);
  await service.startWorker();
});
afterAll(() => service?.close());

describe('a worker with sandbox.runAs: nobody', () => {
  it('builds and measures every commit as that user and names the culprit', async (context) => {
    skipOnHost(context, root ? undefined : 'switching users needs a root test process');
    if (!service) throw new Error('no service');
    const nobody = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim();
    const id = await service.submit(
      service.spec({
        build: { command: `test "$(id -u)" = ${nobody} && make -s` },
        oracle: { kind: 'command', command: `id -u; ${RECORD_ORACLE}` },
      }),
    );
    const view = await service.waitForEnd(id, 120_000);
    expect(view.result?.culprit).toBe(service.project.culprit);
    const tails = view.journal.flatMap((entry) =>
      ((entry.evidence?.samples as { detail?: { outputTail?: string } }[] | undefined) ?? []).map(
        (sample) => sample.detail?.outputTail ?? '',
      ),
    );
    expect(tails.length).toBeGreaterThan(0);
    for (const tail of tails) expect(tail.trim().split('\n')[0]).toBe(nobody);
  });
});
