import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORD_ORACLE, ServiceHarness } from './support/service-harness.js';

/**
 * A build job whose worker stops renewing its lock (a loaded machine: the process does not
 * run for longer than the lock) is given to another worker while the first one still runs it.
 * The second run takes over the job's build slot (the same job running again) and its result
 * is the one the bisect tests; the first run, once it runs again, must not give that slot
 * back when it ends (here in error: it reports a full disk), or the next build takes the
 * slot and checks out another commit under the test.
 */
let service: ServiceHarness;

beforeAll(async () => {
  service = await ServiceHarness.startForWorkerKills('slot-lost-lock');
});
afterAll(() => service?.close());

describe('a build job that lost its lock', () => {
  it('never gives back the slot that its next run built and the commit is tested in', async () => {
    const m = service.markers;
    // The first build stops its worker (SIGSTOP to the worker, its parent) for longer than the
    // lock, so the other worker runs the job again; resumed, it waits until the commit is being
    // tested, then fails as a host fault, which gives its worktree back.
    const build = {
      command:
        `if mkdir ${m}/stalled 2>/dev/null; then echo $KBISECT_COMMIT > ${m}/stalled/commit; ` +
        'kill -STOP $PPID; sleep 6; kill -CONT $PPID; ' +
        `for i in $(seq 300); do [ -e ${m}/test-$KBISECT_COMMIT ] && break; sleep 0.1; done; ` +
        `echo 'make: No space left on device'; touch ${m}/zombie-ended; exit 1; fi; ` +
        `touch ${m}/built-$KBISECT_COMMIT-$$; echo $KBISECT_COMMIT > built-commit; make -s`,
    };
    // The test of that commit outlives the first run's end, then checks that its slot is still
    // held at the commit: exit 201 (the bisect errors) otherwise; 200 for a tree built for
    // another commit.
    const oracle = {
      kind: 'command' as const,
      command:
        `touch ${m}/test-$KBISECT_COMMIT; ` +
        // (The revert check tests the bad commit too, in a fresh worktree: no hold there.)
        `if [ "$(cat ${m}/stalled/commit)" = "$KBISECT_COMMIT" ] && [ "\${PWD%/slot-*}" != "$PWD" ]; then ` +
        `for i in $(seq 300); do [ -e ${m}/zombie-ended ] && break; sleep 0.1; done; sleep 3; ` +
        `grep -q "$KBISECT_COMMIT" "$PWD.held" || { ls -l "$PWD.held" > ${m}/hold-seen 2>&1; exit 201; }; touch ${m}/hold-checked; fi; ` +
        `test "$(cat built-commit)" = "$KBISECT_COMMIT" || exit 200; ${RECORD_ORACLE}`,
    };
    const workers = [await service.startWorker(), await service.startWorker()];
    const id = await service.submit(service.spec({ build, oracle }));
    const view = await service.waitForEnd(id, 150_000);
    const seen = existsSync(`${m}/hold-seen`) ? readFileSync(`${m}/hold-seen`, 'utf8') : '';
    expect(
      view.status,
      `${JSON.stringify(view.result)}\n${seen}\n${service.workerLogs(4000)}`,
    ).toBe('found');
    expect(view.result?.culprit).toBe(service.project.culprit);
    // The commit whose first run lost its lock was built by another run while that one was
    // stopped, and tested in its slot after the first run ended.
    const stalled = readFileSync(`${m}/stalled/commit`, 'utf8').trim();
    const ended = statSync(`${m}/zombie-ended`).mtimeMs;
    const rebuilt = readdirSync(m).filter((name) => name.startsWith(`built-${stalled}-`));
    expect(rebuilt.some((name) => statSync(join(m, name)).mtimeMs < ended)).toBe(true);
    expect(existsSync(`${m}/hold-checked`)).toBe(true);
    await Promise.all(workers.map((worker) => worker.stop()));
  }, 180_000);
});
