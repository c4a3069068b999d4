import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilerCacheFor, shellBuild } from '@kbisect/build';
import { openRepository, type Worktree } from '@kbisect/git';
import { Sandbox } from '@kbisect/sandbox';
import { LIBBPF_BUILD, libbpfHistory } from './libbpf-history.js';

/**
 * Build seconds of a few commits of the libbpf history (`libbpf-history.ts`): each cold, in a
 * fresh worktree without ccache, and warm, checked out clean in one build slot with ccache, as
 * a command build of `kbisect run` and of the service does. The first warm build fills the
 * empty ccache.
 * For `npm run bench:speed`; `npm run bench:slots` runs whole bisects.
 */
export async function printColdVsWarmBuilds(count = 3): Promise<void> {
  const history = libbpfHistory(250, (text) => process.stderr.write(`bench: ${text}\n`));
  const work = mkdtempSync(join(tmpdir(), 'kbisect-bench-cold-warm-'));
  try {
    const repository = await openRepository({ source: history.dir, cacheDir: join(work, 'cache') });
    const range = await repository.revListRange(history.bad, [history.good]);
    // Where a bisect's last steps go: a few commits above the culprit, then closer (the first
    // warm build fills the empty ccache). Steps far apart gain less: a comment added to a
    // header moves the line numbers every object is compiled with, and ccache misses.
    const at = range.findIndex((node) => node.sha === history.culprit);
    const commits = [4, 2, 1].slice(0, count).map((above) => range[at - above]?.sha as string);
    const sandbox = Sandbox.cleanEnvironmentOnly(join(work, 'sandbox'), {
      ...(process.env.PATH ? { path: process.env.PATH } : {}),
    });
    const build = (compilerCache?: string) =>
      shellBuild({
        command: LIBBPF_BUILD,
        timeoutMs: 30 * 60_000,
        sandbox,
        ...(compilerCache ? { compilerCache } : {}),
      });
    const cold = build();
    const warm = build(await compilerCacheFor('on', join(work, 'cache')));
    const seconds = async (worktree: Worktree, how: typeof cold) => {
      try {
        const signal = new AbortController().signal;
        const evidence = await how.run({ dir: worktree.path, commit: worktree.sha, signal });
        return evidence.ok ? evidence.seconds.toFixed(1) : 'failed';
      } finally {
        await worktree.remove();
      }
    };
    console.log(`command build of a real C project: libbpf, \`${LIBBPF_BUILD}\``);
    console.log('| commit | cold: fresh worktree, no ccache (s) | warm: build slot + ccache (s) |');
    console.log('|---|---|---|');
    for (const commit of commits) {
      const fresh = await seconds(await repository.addWorktree(commit), cold);
      const slot = await seconds(await repository.buildWorktree(commit), warm);
      console.log(`| ${commit.slice(0, 12)} | ${fresh} | ${slot} |`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
