import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRunning } from '../support/process-alive.js';
import { RECORD_ORACLE, ServiceHarness } from './support/service-harness.js';

/**
 * A build job whose worker stops renewing its lock (a loaded machine: the process does not
 * run for longer than the lock) is given to another worker while the first one still runs it.
 * The second run takes over the job's build slot (the same job running again) and its result
 * is the one the bisect tests. The first run, once its worker runs again, is stopped (its
 * build's process group killed) instead of building on in the slot, and ending it must not
 * give that slot back, or the next build takes the slot and checks out another commit under
 * the test.
 */
let service: ServiceHarness;
/** How long the first run keeps its worker stopped: longer than the lock (SHORT_LOCKS). */
const STOPPED_S = 6;

beforeAll(async () => {
  service = await ServiceHarness.startForWorkerKills('slot-lost-lock');
});
afterAll(() => service?.close());

describe('a build job that lost its lock', () => {
  it('stops its stale run, which never gives back the slot its next run built', async () => {
    const m = service.markers;
    // The first build stops its worker (SIGSTOP to the worker, its parent) for longer than the
    // lock, so the other worker runs the job again; resumed, it would build on for 10 s and
    // then fail as a host fault (which gives its worktree back), had it not been stopped as
    // soon as its worker found the lock lost.
    const build = {
      command:
        `if mkdir ${m}/stalled 2>/dev/null; then echo $KBISECT_COMMIT > ${m}/stalled/commit; ` +
        `echo $$ > ${m}/stalled/pid; kill -STOP $PPID; sleep ${STOPPED_S}; kill -CONT $PPID; ` +
        `sleep 10; echo 'make: No space left on device'; touch ${m}/zombie-ended; exit 1; fi; ` +
        `touch ${m}/built-$KBISECT_COMMIT-$$; echo $KBISECT_COMMIT > built-commit; make -s`,
    };
    // The test of that commit outlives the first run's end, then checks that its slot is still
    // held at the commit: exit 201 (the bisect errors) otherwise; 200 for a tree built for
    // another commit. (The first run's process may end before the test starts or during it.)
    const oracle = {
      kind: 'command' as const,
      command:
        `touch ${m}/test-$KBISECT_COMMIT; ` +
        // (The revert check tests the bad commit too, in a fresh worktree: no hold there.)
        `if [ "$(cat ${m}/stalled/commit)" = "$KBISECT_COMMIT" ] && [ "\${PWD%/slot-*}" != "$PWD" ]; then ` +
        `for i in $(seq 300); do kill -0 $(cat ${m}/stalled/pid) 2>/dev/null || break; sleep 0.1; done; sleep 3; ` +
        `grep -q "$KBISECT_COMMIT" "$PWD.held" || { ls -l "$PWD.held" > ${m}/hold-seen 2>&1; exit 201; }; touch ${m}/hold-checked; fi; ` +
        `test "$(cat built-commit)" = "$KBISECT_COMMIT" || { echo "tested $KBISECT_COMMIT in $PWD, built for $(cat built-commit)" > ${m}/mismatch; exit 200; }; ${RECORD_ORACLE}`,
    };
    const workers = [await service.startWorker(), await service.startWorker()];
    const id = await service.submit(service.spec({ build, oracle }));
    // When the stale run's build process is gone, seen from outside.
    let staleGoneAt: number | undefined;
    const deadline = Date.now() + 150_000;
    let view = await service.bisect(id);
    while (['queued', 'running'].includes(view.status) && Date.now() < deadline) {
      if (staleGoneAt === undefined && existsSync(`${m}/stalled/pid`)) {
        if (!isRunning(Number(readFileSync(`${m}/stalled/pid`, 'utf8')))) staleGoneAt = Date.now();
      }
      await new Promise((r) => setTimeout(r, 100));
      view = await service.bisect(id);
    }
    const seen = ['hold-seen', 'mismatch']
      .filter((name) => existsSync(`${m}/${name}`))
      .map((name) => `${name}: ${readFileSync(`${m}/${name}`, 'utf8')}`)
      .join('');
    expect(
      view.status,
      `${JSON.stringify(view.result)}\n${seen}\n${service.workerLogs(20_000)}`,
    ).toBe('found');
    expect(view.result?.culprit).toBe(service.project.culprit);
    // The stale run was stopped within seconds of its worker running again, before it ended
    // on its own (10 s later).
    const resumed = statSync(`${m}/stalled/pid`).mtimeMs + STOPPED_S * 1000;
    expect(staleGoneAt, service.workerLogs(4000)).toBeDefined();
    expect((staleGoneAt as number) - resumed).toBeLessThan(5_000);
    expect(existsSync(`${m}/zombie-ended`)).toBe(false);
    // The commit whose first run lost its lock was built by another run while that one was
    // stopped, and tested in its slot after the first run was gone.
    const stalled = readFileSync(`${m}/stalled/commit`, 'utf8').trim();
    expect(readdirSync(m).some((name) => name.startsWith(`built-${stalled}-`))).toBe(true);
    expect(existsSync(`${m}/hold-checked`)).toBe(true);
    await Promise.all(workers.map((worker) => worker.stop()));
  }, 180_000);
});
