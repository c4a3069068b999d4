import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { groupMembers, startTimeOf } from './proc.js';
import { type GroupRecord, ProcessGroups, signalGroup } from './process-groups.js';
import { Sandbox } from './sandbox.js';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'kbisect-groups-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) if (child.pid) signalGroup(child.pid, 'SIGKILL');
});

/** A process group like a build's: a leader and a child of its own. */
function group(): ChildProcess {
  const child = spawn('sh', ['-c', 'sleep 60 & sleep 60'], { detached: true, stdio: 'ignore' });
  started.push(child);
  return child;
}

/** A pid that belonged to a process that has exited: a dead worker. */
async function deadProcess(): Promise<{ pid: number; start: string }> {
  const child = spawn('sleep', ['0.05'], { stdio: 'ignore' });
  const start = await waitForStart(child.pid as number);
  await new Promise((resolve) => child.on('exit', resolve));
  return { pid: child.pid as number, start };
}

async function waitForStart(pid: number): Promise<string> {
  await expect.poll(() => startTimeOf(pid)).toBeDefined();
  return startTimeOf(pid) as string;
}

function writeRecord(dir: string, record: GroupRecord) {
  writeFileSync(join(dir, `${record.pgid}.json`), JSON.stringify(record));
}

describe('ProcessGroups', () => {
  it('records a sandboxed command while it runs and forgets it when its group ended', async () => {
    const groups = new ProcessGroups(join(work, 'own'));
    const tracked = Sandbox.cleanEnvironmentOnly(join(work, 'own-state'), { groups });
    const child = await tracked.spawn(['sh', '-c', 'sleep 60 & echo $!; sleep 0.3'], {
      cwd: work,
    });
    let background = '';
    child.stdout.on('data', (chunk: Buffer) => {
      background += chunk.toString();
    });
    expect(groups.list().map((r) => r.pgid)).toEqual([child.pid]);
    await new Promise((resolve) => child.on('close', resolve));
    expect(groups.list()).toEqual([]);
    // The leader's background child died with it.
    await expect.poll(() => startTimeOf(Number(background.trim()))).toBeUndefined();
  });

  it('kills the groups a dead worker left, and waits until none of their processes runs', async () => {
    const dir = join(work, 'orphans');
    const groups = new ProcessGroups(dir);
    const orphan = group();
    const pgid = orphan.pid as number;
    writeRecord(dir, {
      pgid,
      leaderStart: await waitForStart(pgid),
      owner: await deadProcess(),
      command: 'sh -c sleep',
      startedAt: new Date().toISOString(),
    });
    // sh, and both sleeps once the shell has forked them.
    await expect.poll(() => groupMembers(pgid).length).toBe(3);
    const reaped = await groups.reapOrphans();
    expect(reaped).toMatchObject([{ pgid, command: 'sh -c sleep' }]);
    expect(reaped[0]?.killed).toHaveLength(3);
    expect(groupMembers(pgid)).toEqual([]);
    expect(groups.list()).toEqual([]);
  });

  it('leaves the groups of a live worker alone, and never kills a pid that was reused', async () => {
    const dir = join(work, 'alive');
    const groups = new ProcessGroups(dir);
    const liveWorker = group();
    const busy = group();
    const reused = group();
    const busyPgid = busy.pid as number;
    const reusedPgid = reused.pid as number;
    writeRecord(dir, {
      pgid: busyPgid,
      leaderStart: await waitForStart(busyPgid),
      owner: { pid: liveWorker.pid as number, start: await waitForStart(liveWorker.pid as number) },
      command: 'a live worker build',
      startedAt: new Date().toISOString(),
    });
    writeRecord(dir, {
      pgid: reusedPgid,
      // Another process had this pid when the dead worker recorded it.
      leaderStart: '1',
      owner: await deadProcess(),
      command: 'an old group',
      startedAt: new Date().toISOString(),
    });
    await expect.poll(() => groupMembers(busyPgid).length).toBe(3);
    await expect.poll(() => groupMembers(reusedPgid).length).toBe(3);
    const reaped = await groups.reapOrphans();
    expect(reaped).toMatchObject([{ pgid: reusedPgid, killed: [] }]);
    expect(groupMembers(busyPgid)).toHaveLength(3);
    expect(groupMembers(reusedPgid)).toHaveLength(3);
    expect(groups.list().map((r) => r.pgid)).toEqual([busyPgid]);
  });
});
