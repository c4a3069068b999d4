import { existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { culpritWarnings, type JournalEntry, sameKernel } from '@kbisect/core';
import { findBwrap, probeBwrap, Sandbox } from '@kbisect/sandbox';
import { afterAll, describe, expect, it } from 'vitest';
import { BWRAP, describeNeeding, skipOnHost } from '../../../test/support/requirements.js';
import { KernelSpecInvalid } from './errors/index.js';
import type { KernelBuildSpec } from './kernel-build-spec.js';
import { KernelBuilder } from './kernel-builder.js';
import type { BuildLog } from './progress-ticker.js';
import { type FakeKernelRepo, fakeKernelRepo } from './testing/fake-kernel-repo.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'kbisect-build-test-'));
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const signal = new AbortController().signal;
const tinyconfig = { kind: 'defconfig', target: 'tinyconfig' } as const;

/** A zombie is dead: this container's init may take a while to reap orphans. */
function isAlive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('KernelBuilder', () => {
  it('builds a commit out of tree and names the commit in the kernel release', async () => {
    const repo = fakeKernelRepo();
    dirs.push(repo.dir);
    const head = repo.commit('change helper', {
      'helper.c': 'int helper(int x) { return x - 2; }\n',
    });
    const builder = await KernelBuilder.create({
      spec: { config: tinyconfig, ccache: 'off' },
      cacheDir: tempDir(),
    });

    const { evidence, artifact } = await builder.build(repo.source, head, signal);

    expect(evidence.ok).toBe(true);
    expect(evidence.cached).toBe(false);
    expect(evidence.release).toBe(`1.0.0-kb-${head.slice(0, 12)}`);
    expect(readFileSync(artifact?.image as string, 'utf8')).toContain(
      `1.0.0-kb-${head.slice(0, 12)}`,
    );
    expect(evidence.timings.compileSeconds).toBeGreaterThan(0);
    expect(evidence.timings.configureSeconds).toBeGreaterThan(0);
    expect(evidence.signature).toMatch(/^text:[0-9a-f]{64}$/);
    expect(existsSync(join(repo.dir, 'vmlinux'))).toBe(false);
  });

  it('rebuilds only what a step changed, in the build directory it reuses', async () => {
    const repo = fakeKernelRepo();
    dirs.push(repo.dir);
    const first = repo.commit('one', { 'helper.c': 'int helper(int x) { return x - 3; }\n' });
    const second = repo.commit('two', {
      'main.c': 'int helper(int);\nint main(void) { return helper(2); }\n',
    });
    const builder = await KernelBuilder.create({
      spec: { config: tinyconfig, ccache: 'off' },
      cacheDir: tempDir(),
    });

    await builder.build(repo.source, first, signal);
    const { evidence } = await builder.build(repo.source, second, signal);

    const log = readFileSync(evidence.logPath, 'utf8');
    expect(log).toContain('CC      main.o');
    expect(log).not.toContain('CC      helper.o');
  });

  it('does not rebuild a commit it built before, nor a commit with the same tree', async () => {
    const repo = fakeKernelRepo();
    dirs.push(repo.dir);
    const built = repo.commit('change', { 'helper.c': 'int helper(int x) { return x - 4; }\n' });
    const sameTree = repo.commitEmpty('nothing changes');
    const builder = await KernelBuilder.create({
      spec: { config: tinyconfig, ccache: 'off' },
      cacheDir: tempDir(),
    });

    const first = await builder.build(repo.source, built, signal);
    const again = await builder.build(repo.source, built, signal);
    const twin = await builder.build(repo.source, sameTree, signal);

    expect(again.evidence.cached).toBe(true);
    expect(twin.evidence.cached).toBe(true);
    expect(twin.evidence.commit).toBe(sameTree);
    expect(twin.artifact?.image).toBe(first.artifact?.image);
  });

  it('gives a comment-only change the signature of its parent, and a code change another', async () => {
    const repo = fakeKernelRepo();
    dirs.push(repo.dir);
    const parent = repo.commit('parent', { 'helper.c': 'int helper(int x) { return x - 5; }\n' });
    const comment = repo.commit('comment', {
      'helper.c': '/* why */\nint helper(int x) { return x - 5; }\n',
    });
    const code = repo.commit('code', { 'helper.c': 'int helper(int x) { return x * 7; }\n' });
    const builder = await KernelBuilder.create({
      spec: { config: tinyconfig, ccache: 'off' },
      cacheDir: tempDir(),
    });

    const [p, c, k] = [
      (await builder.build(repo.source, parent, signal)).evidence,
      (await builder.build(repo.source, comment, signal)).evidence,
      (await builder.build(repo.source, code, signal)).evidence,
    ];

    expect(sameKernel(c, p)).toBe(true);
    expect(sameKernel(k, c)).toBe(false);
    // Journaled as the bisect journals it, the comment-only culprit is doubted in the report.
    const journal: JournalEntry[] = [
      { commit: parent, verdict: 'good', source: 'oracle', evidence: { build: p } },
      { commit: comment, verdict: 'bad', source: 'oracle', evidence: { build: c } },
    ];
    const range = { bad: comment, goods: [parent], commits: [{ sha: comment, parents: [parent] }] };
    const found = { kind: 'found', culprit: comment } as const;
    expect(culpritWarnings({ result: found, journal, confirmations: [] }, range)).toEqual([
      expect.stringContaining("the culprit's kernel has the same code as its parent's"),
    ]);
  });

  it('reports a commit that does not compile as a failed build with the compiler error, and caches it', async () => {
    const repo = fakeKernelRepo();
    dirs.push(repo.dir);
    const broken = repo.commit('broken', {
      'helper.c': 'int helper(int x) { return x - undeclared_thing; }\n',
    });
    const builder = await KernelBuilder.create({
      spec: { config: tinyconfig, ccache: 'off' },
      cacheDir: tempDir(),
    });

    const first = await builder.build(repo.source, broken, signal);
    const again = await builder.build(repo.source, broken, signal);

    expect(first.evidence.ok).toBe(false);
    expect(first.artifact).toBeUndefined();
    expect(first.evidence.logTail).toContain('undeclared_thing');
    expect(again.evidence).toMatchObject({ ok: false, cached: true });
  });

  it('does not cache a build the host file system failed: the next build tries again', async () => {
    const repo = fakeKernelRepo();
    dirs.push(repo.dir);
    // The compiler's words when the build directory is read-only (a sandbox, a remount).
    const failing = repo.commit('host fault', {
      'helper.c': '#error cannot write helper.o: Read-only file system\n',
    });
    const builder = await KernelBuilder.create({
      spec: { config: tinyconfig, ccache: 'off' },
      cacheDir: tempDir(),
    });

    const first = await builder.build(repo.source, failing, signal);
    const again = await builder.build(repo.source, failing, signal);

    expect(first.evidence).toMatchObject({ ok: false, cached: false });
    expect(again.evidence).toMatchObject({ ok: false, cached: false });
  });

  it('kills the whole build process group when the time limit passes, and says so', async () => {
    const repo = fakeKernelRepo();
    dirs.push(repo.dir);
    const slow = repo.commit('slow', { 'slow-build': 'yes\n' });
    const cacheDir = tempDir();
    // Long enough to reach the two-minute sleep on a loaded host (1.5 s was not, at load 17).
    const builder = await KernelBuilder.create({
      spec: { config: tinyconfig, ccache: 'off', timeoutMs: 8000 },
      cacheDir,
    });

    const { evidence } = await builder.build(repo.source, slow, signal);

    expect(evidence).toMatchObject({ ok: false, timedOut: true, cached: false });
    const pid = Number(
      readFileSync(join(builder.treeDir(repo.source), 'out', 'sleeper.pid'), 'utf8'),
    );
    expect(isAlive(pid)).toBe(false);
  });

  it('merges config fragments and warns about options olddefconfig dropped', async () => {
    const repo = fakeKernelRepo();
    dirs.push(repo.dir);
    const head = repo.commit('head', { 'helper.c': 'int helper(int x) { return x - 6; }\n' });
    const fragment = join(tempDir(), 'lab.config');
    writeFileSync(fragment, 'CONFIG_LAB=y\nCONFIG_DROPPED_BY_OLDDEFCONFIG=y\n');
    const builder = await KernelBuilder.create({
      spec: {
        config: { kind: 'defconfig', target: 'tinyconfig', fragments: [fragment] },
        ccache: 'off',
      },
      cacheDir: tempDir(),
    });

    const { evidence, artifact } = await builder.build(repo.source, head, signal);

    expect(readFileSync(artifact?.config as string, 'utf8')).toContain('CONFIG_LAB=y');
    expect(evidence.configWarnings).toEqual(['CONFIG_DROPPED_BY_OLDDEFCONFIG=y']);
  });

  it('builds in the same tree for a mirror reached through a symlink', async () => {
    const repo = fakeKernelRepo();
    dirs.push(repo.dir);
    const link = join(tempDir(), 'mirror-link');
    symlinkSync(repo.dir, link);
    const builder = await KernelBuilder.create({
      spec: { config: tinyconfig, ccache: 'off' },
      cacheDir: tempDir(),
    });

    expect(builder.treeDir({ ...repo.source, mirrorPath: link })).toBe(
      builder.treeDir(repo.source),
    );
  });

  it('puts ccache in front of the compiler when asked, and keys the cache by config content', async () => {
    const fragment = join(tempDir(), 'a.config');
    writeFileSync(fragment, 'CONFIG_A=y\n');
    const spec: KernelBuildSpec = {
      config: { kind: 'defconfig', target: 'tinyconfig', fragments: [fragment] },
    };
    const withCcache = await KernelBuilder.create({
      spec: { ...spec, ccache: 'on' },
      cacheDir: tempDir(),
    });
    const otherJobs = await KernelBuilder.create({
      spec: { ...spec, ccache: 'on', jobs: 1 },
      cacheDir: tempDir(),
    });
    writeFileSync(fragment, 'CONFIG_A=n\n');
    const otherContent = await KernelBuilder.create({
      spec: { ...spec, ccache: 'on' },
      cacheDir: tempDir(),
    });

    expect(withCcache.toolchain.cc).toBe('ccache gcc');
    expect(otherJobs.configHash).toBe(withCcache.configHash);
    expect(otherContent.configHash).not.toBe(withCcache.configHash);
  });

  it('refuses make variables that would defeat the cache or the release check', async () => {
    await expect(
      KernelBuilder.create({
        spec: { config: tinyconfig, makeVars: { LOCALVERSION: '-x' } },
        cacheDir: tempDir(),
      }),
    ).rejects.toBeInstanceOf(KernelSpecInvalid);
  });
});

/** Builds `commits` at once; each one's start line (its tree) and the times it started and ended. */
async function buildAtOnce(
  builder: KernelBuilder,
  source: FakeKernelRepo['source'],
  commits: string[],
) {
  const t0 = performance.now();
  return Promise.all(
    commits.map(async (commit) => {
      let startedAt = Number.NaN;
      let buildDir = '';
      const log: BuildLog = {
        info(fields) {
          if (buildDir) return;
          startedAt = performance.now() - t0;
          buildDir = String(fields.buildDir);
        },
      };
      const built = await builder.build(source, commit, signal, { log, intervalMs: 60_000 });
      return { ...built, buildDir, startedAt, endedAt: performance.now() - t0 };
    }),
  );
}

describe('KernelBuilder with several trees', () => {
  // Two commits whose every object takes 2 s, then a quick one that changes helper.c only.
  const history = () => {
    const repo = fakeKernelRepo();
    dirs.push(repo.dir);
    const a = repo.commit('slow a', {
      'slow-objects': '2\n',
      'helper.c': 'int helper(int x) { return x - 10; }\n',
    });
    const b = repo.commit('slow b', { 'helper.c': 'int helper(int x) { return x - 11; }\n' });
    const c = repo.commit('quick c', {
      'slow-objects': null,
      'helper.c': 'int helper(int x) { return x - 12; }\n',
    });
    return { repo, a, b, c };
  };

  it('builds two commits at the same time, each in a tree of its own, then reuses a tree warm', async () => {
    const { repo, a, b, c } = history();
    const builder = await KernelBuilder.create({
      spec: { config: tinyconfig, ccache: 'off', jobs: 2 },
      cacheDir: tempDir(),
      trees: 2,
    });

    const [first, second] = await buildAtOnce(builder, repo.source, [a, b]);

    expect(first?.evidence.ok && second?.evidence.ok).toBe(true);
    expect(new Set([first?.buildDir, second?.buildDir])).toEqual(
      new Set(builder.treeDirs(repo.source)),
    );
    // Each started before the other ended: neither waited for the other's tree.
    expect(second?.startedAt).toBeLessThan(first?.endedAt as number);
    expect(first?.startedAt).toBeLessThan(second?.endedAt as number);

    const [next] = await buildAtOnce(builder, repo.source, [c]);

    // The first free tree, which holds a or b: main.o is up to date there, helper.o is not.
    expect(next?.buildDir).toBe(builder.treeDir(repo.source));
    const log = readFileSync(next?.evidence.logPath as string, 'utf8');
    expect(log).toContain('CC      helper.o');
    expect(log).not.toContain('CC      main.o');
    expect(next?.evidence.release).toBe(`1.0.0-kb-${c.slice(0, 12)}`);
  });

  it('with one tree, a second build waits until the first has given the tree back', async () => {
    const { repo, a, b } = history();
    const builder = await KernelBuilder.create({
      spec: { config: tinyconfig, ccache: 'off', jobs: 2 },
      cacheDir: tempDir(),
    });

    const [first, second] = await buildAtOnce(builder, repo.source, [a, b]);

    expect(first?.buildDir).toBe(second?.buildDir);
    const [earlier, later] = [first, second].sort(
      (x, y) => (x?.startedAt ?? 0) - (y?.startedAt ?? 0),
    );
    expect(later?.startedAt).toBeGreaterThanOrEqual(earlier?.endedAt as number);
  });
});

describeNeeding(BWRAP)('KernelBuilder in the bwrap sandbox', () => {
  it('merges config fragments with the sources read-only', async (context) => {
    const bwrap = await findBwrap();
    skipOnHost(context, bwrap ? await probeBwrap(bwrap) : 'bwrap is not installed');
    const repo = fakeKernelRepo();
    dirs.push(repo.dir);
    const head = repo.commit('head', { 'helper.c': 'int helper(int x) { return x - 7; }\n' });
    const fragment = join(tempDir(), 'lab.config');
    writeFileSync(fragment, 'CONFIG_LAB=y\n');
    const cacheDir = tempDir();
    const builder = await KernelBuilder.create({
      spec: {
        config: { kind: 'defconfig', target: 'tinyconfig', fragments: [fragment] },
        ccache: 'off',
      },
      cacheDir,
      sandbox: await Sandbox.create({
        config: { mode: 'bwrap', allowNetwork: false },
        stateDir: join(cacheDir, 'sandbox'),
      }),
    });

    const { evidence, artifact } = await builder.build(repo.source, head, signal);

    expect(evidence.logTail ?? '').not.toMatch(/Read-only file system/);
    expect(evidence.ok).toBe(true);
    expect(readFileSync(artifact?.config as string, 'utf8')).toContain('CONFIG_LAB=y');
  });
});
