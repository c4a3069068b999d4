import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { groupMembers, startTimeOf } from './proc.js';

/** One process group a worker started, as its file records it. */
export interface GroupRecord {
  pgid: number;
  /** The leader's start time: a reused pid is not the same leader. */
  leaderStart: string;
  /** The worker that started it; its groups are orphans once it is gone. */
  owner: { pid: number; start: string };
  command: string;
  startedAt: string;
}

export interface ReapedGroup {
  pgid: number;
  command: string;
  owner: number;
  /** Pids that were still running and were killed. */
  killed: number[];
}

/**
 * The build and oracle process groups the workers of this host started: one file per group
 * in a directory on the host, written when a group starts and removed when it has ended.
 * A worker that dies (kill -9, OOM) leaves its files behind; `reapOrphans` kills those groups,
 * so a test never starts while a dead worker's build or measurement still runs here.
 *
 * A directory rather than Redis: the processes live on this host and only this host can kill
 * them, the records must survive a Redis outage as well as a worker crash, and a file write
 * costs nothing next to a fork. The price: workers of one host must share the directory (the
 * same cacheDir) to see each other's orphans.
 */
export class ProcessGroups {
  private readonly self = { pid: process.pid, start: startTimeOf(process.pid) ?? '' };

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** Records a group as it starts (synchronously: a crash right after spawn must find it). */
  record(pgid: number, command: string): void {
    const record: GroupRecord = {
      pgid,
      leaderStart: startTimeOf(pgid) ?? '',
      owner: this.self,
      command: command.slice(0, 200),
      startedAt: new Date().toISOString(),
    };
    writeFileSync(this.fileOf(pgid), `${JSON.stringify(record)}\n`);
  }

  /** The group has ended (its leader exited and what was left of it was killed). */
  forget(pgid: number): void {
    rmSync(this.fileOf(pgid), { force: true });
  }

  list(): GroupRecord[] {
    const records: GroupRecord[] = [];
    for (const name of readdirSync(this.dir)) {
      if (!name.endsWith('.json')) continue;
      try {
        records.push(JSON.parse(readFileSync(join(this.dir, name), 'utf8')) as GroupRecord);
      } catch {
        // Half-written by a worker killed mid-write: the group never got going; drop it.
        rmSync(join(this.dir, name), { force: true });
      }
    }
    return records;
  }

  /**
   * Kills every group whose worker is gone and waits until none of its processes runs.
   * Groups of live workers (this one, or another on the same host) are left alone.
   */
  async reapOrphans(timeoutMs = 10_000): Promise<ReapedGroup[]> {
    const reaped: ReapedGroup[] = [];
    for (const record of this.list()) {
      if (record.owner.pid === this.self.pid && record.owner.start === this.self.start) continue;
      if (startTimeOf(record.owner.pid) === record.owner.start) continue;
      const killed = this.orphanMembers(record);
      if (killed.length > 0) {
        signalGroup(record.pgid, 'SIGKILL');
        const deadline = Date.now() + timeoutMs;
        while (groupMembers(record.pgid).length > 0) {
          if (Date.now() > deadline) {
            throw new Error(
              `process group ${record.pgid} (${record.command}) left by worker ${record.owner.pid} ` +
                `survives SIGKILL after ${timeoutMs} ms`,
            );
          }
          await sleep(20);
        }
      }
      this.forget(record.pgid);
      reaped.push({ pgid: record.pgid, command: record.command, owner: record.owner.pid, killed });
    }
    return reaped;
  }

  /**
   * The running processes of a recorded group. A leader that is alive with another start
   * time is a new process that reused the pid: not ours. A gone leader whose group still has
   * members is ours: a pid stays reserved while a group of that id exists.
   */
  private orphanMembers(record: GroupRecord): number[] {
    const leaderStart = startTimeOf(record.pgid);
    if (leaderStart !== undefined && leaderStart !== record.leaderStart) return [];
    return groupMembers(record.pgid);
  }

  private fileOf(pgid: number): string {
    return join(this.dir, `${pgid}.json`);
  }
}

/** Signals a whole group by id; a group that is already gone is no error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is gone.
  }
}
