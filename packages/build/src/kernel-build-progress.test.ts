import { mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KernelBuilder } from './kernel-builder.js';
import type { BuildLog } from './progress-ticker.js';
import { fakeKernelRepo } from './testing/fake-kernel-repo.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** The lines a build logs, as the worker's pino child logger would get them. */
function recordingLog() {
  const lines: { fields: Record<string, unknown>; message: string }[] = [];
  const log: BuildLog = { info: (fields, message) => lines.push({ fields, message }) };
  return { log, lines };
}

const sources = (n: number, variant: number) =>
  Object.fromEntries(
    Array.from({ length: n }, (_, i) => [
      `unit${i}.c`,
      `int unit${i}(void) { return ${variant}; }\n`,
    ]),
  );

describe('KernelBuilder progress', () => {
  it('says what it builds, then reports objects against the last full build of the tree', async () => {
    const repo = fakeKernelRepo();
    dirs.push(repo.dir);
    const cacheDir = mkdtempSync(join(tmpdir(), 'kbisect-build-progress-'));
    dirs.push(cacheDir);
    // main.c, helper.c and six units: eight objects in a full build.
    const first = repo.commit('units', sources(6, 1));
    // Every unit changes and each object takes 0.4 s: a build of several progress intervals.
    const second = repo.commit('slow units', { ...sources(6, 2), 'slow-objects': '0.4\n' });
    const builder = await KernelBuilder.create({
      spec: { config: { kind: 'defconfig', target: 'tinyconfig' }, ccache: 'off', jobs: 1 },
      cacheDir,
    });
    const signal = new AbortController().signal;

    const full = recordingLog();
    const built = await builder.build(repo.source, first, signal, {
      log: full.log,
      intervalMs: 200,
    });
    expect(built.evidence.ok).toBe(true);
    const treeDir = builder.treeDir(repo.source);
    expect(full.lines[0]?.message).toBe(
      `build ${first.slice(0, 12)}: kernel tinyconfig, x86_64 bzImage, -j1, CC=gcc, ` +
        `on ${full.lines[0]?.fields.host} in ${treeDir} (a full build: empty build directory)`,
    );
    expect(JSON.parse(readFileSync(join(treeDir, 'full-build.json'), 'utf8'))).toMatchObject({
      objects: 8,
      commit: first,
    });

    const step = recordingLog();
    const started = performance.now();
    const rebuilt = await builder.build(repo.source, second, signal, {
      log: step.log,
      intervalMs: 200,
    });
    expect(rebuilt.evidence.ok).toBe(true);
    expect(performance.now() - started).toBeGreaterThan(6 * 400);
    expect(step.lines[0]?.message).toMatch(
      /^build [0-9a-f]{12}: kernel tinyconfig, .*; the last full build compiled 8 objects in \d+ s$/,
    );
    const ticks = step.lines.slice(1);
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    for (const tick of ticks) {
      expect(tick.message).toMatch(
        new RegExp(`^build ${second.slice(0, 12)}: \\d+ s, [0-6]/8 objects \\(\\d+%\\)`),
      );
      expect(tick.fields).toMatchObject({ expectedObjects: 8 });
    }
    const counts = ticks.map((tick) => tick.fields.objects as number);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(counts.at(-1)).toBeGreaterThan(0);
    expect(ticks.some((tick) => /about \d+ s left$/.test(tick.message))).toBe(true);
    // An incremental build is no full build: the yardstick stays.
    expect(JSON.parse(readFileSync(join(treeDir, 'full-build.json'), 'utf8')).objects).toBe(8);
  });
});
