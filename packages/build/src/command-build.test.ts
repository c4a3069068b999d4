import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sandbox } from '@kbisect/sandbox';
import { afterAll, expect, it } from 'vitest';
import { CCACHE, describeNeeding } from '../../../test/support/requirements.js';
import { compilerCacheFor, shellBuild } from './command-build.js';

const work = mkdtempSync(join(tmpdir(), 'kbisect-command-build-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const sandbox = Sandbox.cleanEnvironmentOnly(join(work, 'state'));
const signal = new AbortController().signal;

/** What ccache counted so far in `dir`: `direct_cache_hit` and friends. */
function ccacheStats(dir: string): Record<string, number> {
  const text = execFileSync('ccache', ['--print-stats'], {
    env: { ...process.env, CCACHE_DIR: dir },
    encoding: 'utf8',
  });
  return Object.fromEntries(
    text
      .trim()
      .split('\n')
      .map((line) => line.split('\t'))
      .map(([key, value]) => [key, Number(value)]),
  );
}
const hits = (stats: Record<string, number>) =>
  (stats.direct_cache_hit ?? 0) + (stats.preprocessed_cache_hit ?? 0);

describeNeeding(CCACHE)('a command build with ccache in front of CC', () => {
  it('compiles through ccache, so the same sources built again from clean are cache hits', async () => {
    const project = join(work, 'project');
    execFileSync('mkdir', ['-p', project]);
    // make's built-in rule uses $(CC), which the environment sets: the build honours CC.
    writeFileSync(join(project, 'Makefile'), 'app: main.o\n\t$(CC) -o app main.o\n');
    writeFileSync(join(project, 'main.c'), 'int main(void) { return 0; }\n');
    const cacheDir = join(work, 'cache');
    const compilerCache = await compilerCacheFor('on', cacheDir);
    expect(compilerCache).toBe(join(cacheDir, 'ccache'));
    const build = shellBuild({
      command: 'make -s',
      timeoutMs: 60_000,
      sandbox,
      compilerCache: compilerCache as string,
    });
    const first = await build.run({ dir: project, commit: 'a'.repeat(40), signal });
    expect(first.ok).toBe(true);
    expect(existsSync(join(project, 'app'))).toBe(true);
    const cold = ccacheStats(compilerCache as string);
    expect(hits(cold)).toBe(0);
    expect(cold.cache_miss).toBeGreaterThanOrEqual(1);

    // What a build slot does between commits: every output removed, then built again.
    rmSync(join(project, 'main.o'));
    rmSync(join(project, 'app'));
    const second = await build.run({ dir: project, commit: 'b'.repeat(40), signal });
    expect(second.ok).toBe(true);
    expect(hits(ccacheStats(compilerCache as string))).toBeGreaterThanOrEqual(1);
  });

  it('leaves the compilers alone when asked (off), and never needs ccache for that', async () => {
    expect(await compilerCacheFor('off', join(work, 'unused'))).toBeUndefined();
    expect(existsSync(join(work, 'unused'))).toBe(false);
  });
});
