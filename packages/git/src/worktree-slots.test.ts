import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  isSlot,
  readSlotHold,
  releaseSlot,
  releaseSlotsOf,
  slotProblem,
  WorktreeSlots,
} from './worktree-slots.js';

const work = mkdtempSync(join(tmpdir(), 'kbisect-slots-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

// A repository with a .gitignore'd build output, as a C project has.
const repo = join(work, 'repo');
git(work, 'init', '-q', '-b', 'main', repo);
git(repo, 'config', 'user.email', 't@example.org');
git(repo, 'config', 'user.name', 'T');
writeFileSync(join(repo, '.gitignore'), 'out/\n');
writeFileSync(join(repo, 'main.c'), 'one\n');
git(repo, 'add', '.');
git(repo, 'commit', '-q', '-m', 'one');
const one = git(repo, 'rev-parse', 'HEAD');
writeFileSync(join(repo, 'main.c'), 'two\n');
git(repo, 'commit', '-q', '-am', 'two');
const two = git(repo, 'rev-parse', 'HEAD');

const slots = () => new WorktreeSlots(repo, join(work, 'slots'), 2);
const fallback = join(work, 'fresh');

describe('WorktreeSlots', () => {
  it('reuses one checkout between commits, cleaned of everything the last build left', async () => {
    const first = await slots().acquire(one, fallback);
    expect(readFileSync(join(first.path, 'main.c'), 'utf8')).toBe('one\n');
    // What a build leaves: ignored output, untracked files, a tracked file changed.
    execFileSync('mkdir', ['-p', join(first.path, 'out')]);
    writeFileSync(join(first.path, 'out', 'main.o'), 'stale object');
    writeFileSync(join(first.path, 'generated.h'), 'stale header');
    writeFileSync(join(first.path, 'main.c'), 'edited by the build\n');
    await first.remove();
    expect(isSlot(first.path)).toBe(false);

    const second = await slots().acquire(two, fallback);
    expect(second.path).toBe(first.path);
    expect(readFileSync(join(second.path, 'main.c'), 'utf8')).toBe('two\n');
    expect(existsSync(join(second.path, 'out'))).toBe(false);
    expect(existsSync(join(second.path, 'generated.h'))).toBe(false);
    expect(git(second.path, 'status', '--porcelain', '--ignored')).toBe('');
    await second.remove();
  });

  it('gives each holder its own slot, and a fresh worktree when every slot is held', async () => {
    const a = await slots().acquire(one, fallback);
    const b = await slots().acquire(one, fallback);
    const c = await slots().acquire(two, fallback);
    expect(new Set([a.path, b.path, c.path]).size).toBe(3);
    expect(isSlot(a.path) && isSlot(b.path)).toBe(true);
    expect(c.path.startsWith(fallback)).toBe(true);
    await Promise.all([a.remove(), b.remove(), c.remove()]);
    expect(existsSync(c.path)).toBe(false);
    expect(existsSync(a.path)).toBe(true);
  });

  it('takes over a slot whose holder process is gone', async () => {
    const held = await slots().acquire(one, fallback);
    // A holder that died without giving the slot back.
    const dead = spawn('true');
    await new Promise((r) => dead.on('exit', r));
    writeFileSync(`${held.path}.held`, `${dead.pid}@${hostname()}`);
    const other = await slots().acquire(one, fallback);
    const again = await slots().acquire(two, fallback);
    expect([other.path, again.path]).toContain(held.path);
    await Promise.all([other.remove(), again.remove()]);
  });

  it("keeps a build job's hold until its owner gives it back, whatever process made it", async () => {
    const bisect = { owner: 'bisect-1', job: 'b1.build.one' };
    const held = await slots().acquire(one, fallback, { holder: bisect });
    expect(await readSlotHold(held.path)).toEqual({
      kind: 'job',
      ...bisect,
      commit: one,
      run: expect.any(String),
    });
    expect(await slotProblem(held.path, { owner: 'bisect-1', job: bisect.job, commit: one })).toBe(
      undefined,
    );
    // Another job (of another bisect) gets the other slot, then a fresh worktree: never this one.
    const other = { owner: 'bisect-2', job: 'b2.build.two' };
    const second = await slots().acquire(two, fallback, {
      holder: other,
      ownerEnded: async () => false,
    });
    const third = await slots().acquire(two, fallback, {
      holder: { ...other, job: 'b2.build.two.again' },
      ownerEnded: async () => false,
    });
    expect(second.path).not.toBe(held.path);
    expect(third.path.startsWith(fallback)).toBe(true);
    await third.remove();
    // A release naming another job leaves the hold; the same job running again takes it over.
    await releaseSlot(held.path, { owner: 'bisect-1', job: 'b1.build.other' });
    expect(isSlot(held.path)).toBe(true);
    const rerun = await slots().acquire(one, fallback, { holder: bisect });
    expect(rerun.path).toBe(held.path);
    // An owner that ended without giving its slots back (its coordinator died): taken over.
    const reclaimed = await slots().acquire(two, fallback, {
      holder: { owner: 'bisect-3', job: 'b3.build.two' },
      ownerEnded: async (owner) => owner === 'bisect-1',
    });
    expect(reclaimed.path).toBe(held.path);
    expect(await slotProblem(held.path, { owner: 'bisect-1', commit: one })).toMatch(
      /no longer held by bisect-1/,
    );
    await releaseSlotsOf(join(work, 'worktrees-root-unused'), 'bisect-2');
    expect(isSlot(second.path)).toBe(true);
    await Promise.all([second.remove(), reclaimed.remove()]);
    expect(isSlot(second.path) || isSlot(held.path)).toBe(false);
  });

  it('leaves the hold a later run of the job took when an earlier run gives its slot back', async () => {
    // A job whose lock was lost runs twice at once: the second run takes the hold over and
    // its result is the one tested; the first run ending (in error) must not free the slot.
    const job = { owner: 'bisect-5', job: 'b5.build.one' };
    const first = await slots().acquire(one, fallback, { holder: job });
    const second = await slots().acquire(one, fallback, { holder: job });
    expect(second.path).toBe(first.path);
    await first.remove();
    expect(await slotProblem(second.path, { ...job, commit: one })).toBe(undefined);
    const next = await slots().acquire(two, fallback, {
      holder: { ...job, job: 'b5.build.two' },
      ownerEnded: async () => false,
    });
    expect(next.path).not.toBe(second.path);
    // The owner gives it back by the job, whichever run holds it.
    await releaseSlot(second.path, job);
    expect(isSlot(second.path)).toBe(false);
    await next.remove();
  });

  it('says a held slot is stale when its checkout moved or a tracked file changed', async () => {
    const holder = { owner: 'bisect-4', job: 'b4.build.one' };
    const held = await slots().acquire(one, fallback, { holder });
    const expected = { ...holder, commit: one, clean: true };
    writeFileSync(join(held.path, 'built.o'), 'an object the build made');
    expect(await slotProblem(held.path, expected)).toBe(undefined);
    writeFileSync(join(held.path, 'main.c'), 'edited\n');
    expect(await slotProblem(held.path, expected)).toMatch(/tracked files changed/);
    git(held.path, 'checkout', '-q', '--force', '--detach', two);
    expect(await slotProblem(held.path, expected)).toMatch(/holds [0-9a-f]{12}, not/);
    await held.remove();
  });
});

describe('releaseSlotsOf', () => {
  it("gives back every slot of an owner under a cache's worktrees directory", async () => {
    const root = join(work, 'cache-worktrees');
    const mirrorSlots = (n: number) => new WorktreeSlots(repo, join(root, 'slots', 'repo.git'), n);
    const a = await mirrorSlots(3).acquire(one, fallback, { holder: { owner: 'x', job: '1' } });
    const b = await mirrorSlots(3).acquire(two, fallback, { holder: { owner: 'x', job: '2' } });
    const c = await mirrorSlots(3).acquire(two, fallback, { holder: { owner: 'y', job: '3' } });
    await releaseSlotsOf(root, 'x');
    expect([isSlot(a.path), isSlot(b.path), isSlot(c.path)]).toEqual([false, false, true]);
    await c.remove();
  });
});
