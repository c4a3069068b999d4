import { execFileSync } from 'node:child_process';
import { type BisectEnvironment, exitCodePolicy, runBisect } from '@kbisect/core';
import { openRepository, resolveRange } from '@kbisect/git';
import type { LoopbackProject } from '../../fixtures/loopback-project.js';

/**
 * The verdicts a bisect of the fixture must record, from the core itself on the real range:
 * the commits the fixture says do not compile fail to build, and a commit is good when its
 * main.c still has the 64 KiB records (the RECORD_ORACLE's question, read with `git show`).
 * A service run, killed or not, must record exactly these, in this order.
 */
export async function expectedJournal(
  project: LoopbackProject,
  cacheDir: string,
  /** Commits tested at once (`parallelTests`): each entry then also says its round. */
  slots?: number,
): Promise<string[]> {
  const repository = await openRepository({ source: project.dir, cacheDir });
  const range = await resolveRange(repository, { good: ['v1.0'], bad: 'main' });
  const env: BisectEnvironment = {
    prepare: async (commit) => ({
      commit,
      build: { ok: !project.unbuildable.includes(commit), seconds: 0 },
    }),
    measure: async ({ commit }) => {
      const source = execFileSync('git', ['show', `${commit}:main.c`], {
        cwd: project.dir,
        encoding: 'utf8',
      });
      return { exitCode: source.includes('RECORD_SIZE 65536') ? 0 : 1, seconds: 0 };
    },
    release: async () => {},
    ...(slots ? { testSlots: () => slots } : {}),
  };
  const outcome = await runBisect({ range, env, policy: exitCodePolicy(), checkEndpoints: true });
  return outcome.journal.map((e) =>
    slots ? `${e.commit} ${e.verdict} round ${e.round ?? '-'}` : `${e.commit} ${e.verdict}`,
  );
}
