import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupMembers, startTimeOf } from '../../packages/sandbox/src/proc.js';
import { RECORD_ORACLE, ServiceHarness } from './support/service-harness.js';
import type { WorkerProcess } from './support/worker-process.js';

/**
 * Issue 13, "a killed worker leaves its builds and oracles running": kill -9 a real worker
 * while its oracle measures, and the measurement must be gone before the next one starts on
 * this host, whether a restarted worker or another live worker takes the test over.
 *
 * Every oracle run holds an exclusive flock on one file for as long as it measures (flock is
 * released by the kernel when the last holder dies, so it is exact): a run that finds it
 * taken records OVERLAP. The first run of each bisect measures for a minute, long past the
 * test: only a kill ends it. The sandbox is `none`, so nothing but the process-group
 * records can end the orphan (bwrap's --die-with-parent would kill it on its own).
 */
let service: ServiceHarness;

beforeAll(async () => {
  service = await ServiceHarness.startForWorkerKills('orphans');
});
afterAll(() => service?.close());

function oracle(dir: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'measure.sh'),
    [
      `echo $$ >> ${dir}/started`,
      `if mkdir ${dir}/first 2>/dev/null; then sleep 60; fi`,
      `${RECORD_ORACLE}`,
    ].join('\n'),
  );
  // flock exits 200 when another run holds the lock, else with the measurement's code.
  return (
    `flock -n -E 200 ${dir}/measure.lock sh ${dir}/measure.sh; code=$?; ` +
    `if [ $code = 200 ]; then echo OVERLAP >> ${dir}/events; exit 1; fi; exit $code`
  );
}

/** Waits until the first oracle run of `dir` started and returns its shell's pid. */
async function firstOracleRun(dir: string): Promise<number> {
  const file = join(dir, 'started');
  await expect.poll(() => existsSync(file), { timeout: 60_000, interval: 50 }).toBe(true);
  return Number(readFileSync(file, 'utf8').split('\n')[0]);
}

const groupDir = () => join(service.config.cacheDir, 'sandbox', 'process-groups');

async function killMidMeasurement(worker: WorkerProcess, dir: string) {
  const pid = await firstOracleRun(dir);
  // The oracle's group is on record (builds of other commits may be too).
  const recorded = readdirSync(groupDir()).map((name) => Number(name.replace('.json', '')));
  const pgid = recorded.find((group) => groupMembers(group).includes(pid));
  if (pgid === undefined) throw new Error(`no recorded group holds oracle pid ${pid}`);
  worker.kill('SIGKILL');
  await worker.exited;
  // Without a reaper this measurement would now run for another minute.
  expect(startTimeOf(pid)).toBeDefined();
  return { pid, pgid };
}

async function expectCleanEnd(id: string, dir: string, orphan: { pid: number; pgid: number }) {
  const view = await service.waitForEnd(id, 120_000);
  expect(view.result?.culprit, JSON.stringify(view.result)).toBe(service.project.culprit);
  expect(startTimeOf(orphan.pid)).toBeUndefined();
  expect(groupMembers(orphan.pgid)).toEqual([]);
  expect(existsSync(join(dir, 'events'))).toBe(false);
  // Every group ended and was forgotten.
  expect(readdirSync(groupDir())).toEqual([]);
}

describe('a worker killed with SIGKILL while its oracle measures', () => {
  it('leaves a process group that the restarted worker kills before it measures anything', async () => {
    const dir = join(service.markers, 'restart');
    const worker = await service.startWorker();
    const id = await service.submit(
      service.spec({ oracle: { kind: 'command', command: oracle(dir) } }),
    );
    const orphan = await killMidMeasurement(worker, dir);
    const restarted = await service.startWorker();
    await restarted.waitFor(new RegExp(`killed process group ${orphan.pgid} left by dead worker`));
    await expectCleanEnd(id, dir, orphan);
  }, 120_000);

  it('leaves a process group that a live worker kills before it takes the test over', async () => {
    await Promise.all(service.workers.map((worker) => worker.stop()));
    const dir = join(service.markers, 'takeover');
    const first = await service.startWorker();
    const id = await service.submit(
      service.spec({ oracle: { kind: 'command', command: oracle(dir) } }),
    );
    const pid = await firstOracleRun(dir);
    // Started while the first worker lives: its own start finds no orphan to kill.
    const second = await service.startWorker();
    const orphan = await killMidMeasurement(first, dir);
    expect(orphan.pid).toBe(pid);
    await expectCleanEnd(id, dir, orphan);
    expect(second.output).not.toMatch(/left by dead worker/);
  }, 120_000);
});
