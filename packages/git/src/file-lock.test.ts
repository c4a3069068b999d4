import { spawnSync } from 'node:child_process';
import { existsSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { MirrorLocked } from './errors/mirror-locked.js';
import { withFileLock } from './file-lock.js';
import { makeTempDir } from './test-support/index.js';

let temp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  temp = makeTempDir('kbisect-lock-');
});
afterEach(() => temp.cleanup());

test('holders of the same lock run one after the other', async () => {
  const lock = join(temp.dir, 'mirror.lock');
  const events: string[] = [];
  const hold = (name: string) =>
    withFileLock(lock, async () => {
      events.push(`${name} in`);
      await new Promise((resolve) => setTimeout(resolve, 30));
      events.push(`${name} out`);
    });

  await Promise.all([hold('first'), hold('second')]);

  const [winner, loser] = events[0] === 'first in' ? ['first', 'second'] : ['second', 'first'];
  expect(events).toEqual([`${winner} in`, `${winner} out`, `${loser} in`, `${loser} out`]);
  expect(existsSync(lock)).toBe(false);
});

test('the lock is released when the holder throws', async () => {
  const lock = join(temp.dir, 'mirror.lock');
  await expect(withFileLock(lock, () => Promise.reject(new Error('clone failed')))).rejects.toThrow(
    'clone failed',
  );

  expect(existsSync(lock)).toBe(false);
});

test('a lock left by a dead process on this host is broken', async () => {
  const lock = join(temp.dir, 'mirror.lock');
  const dead = spawnSync(process.execPath, ['-e', '']).pid;
  writeFileSync(lock, `${dead}@${hostname()}`);

  expect(await withFileLock(lock, async () => 'ran', { timeoutMs: 2_000 })).toBe('ran');
});

test('a lock held by a live process times out with MirrorLocked naming the holder', async () => {
  const lock = join(temp.dir, 'mirror.lock');
  writeFileSync(lock, `${process.pid}@${hostname()}`);

  const waiting = withFileLock(lock, async () => 'ran', { timeoutMs: 100 });

  await expect(waiting).rejects.toBeInstanceOf(MirrorLocked);
  await expect(waiting).rejects.toThrow(String(process.pid));
});

test('a lock held from another host is waited for, never broken', async () => {
  const lock = join(temp.dir, 'mirror.lock');
  writeFileSync(lock, '1@some-other-build-host');

  await expect(withFileLock(lock, async () => 'ran', { timeoutMs: 100 })).rejects.toBeInstanceOf(
    MirrorLocked,
  );
  expect(existsSync(lock)).toBe(true);
});

test.each([
  ['an empty', ''],
  ['a garbled', 'not an owner'],
])(
  '%s lock left by a process killed before writing its pid is broken once stale',
  async (_, content) => {
    const lock = join(temp.dir, 'mirror.lock');
    writeFileSync(lock, content);
    const aMinuteAgo = new Date(Date.now() - 60_000);
    utimesSync(lock, aMinuteAgo, aMinuteAgo);

    const started = Date.now();
    expect(await withFileLock(lock, async () => 'ran', { timeoutMs: 2_000 })).toBe('ran');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(existsSync(lock)).toBe(false);
  },
);

test('an empty lock created just now is respected: its holder is still writing its pid', async () => {
  const lock = join(temp.dir, 'mirror.lock');
  writeFileSync(lock, '');

  await expect(withFileLock(lock, async () => 'ran', { timeoutMs: 300 })).rejects.toBeInstanceOf(
    MirrorLocked,
  );
  expect(existsSync(lock)).toBe(true);
});
