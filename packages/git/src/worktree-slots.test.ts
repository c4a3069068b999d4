import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isSlot, WorktreeSlots } from './worktree-slots.js';

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
});
