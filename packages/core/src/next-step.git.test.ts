import { afterAll, describe, expect, it } from 'vitest';
import type { JournalEntry } from './journal.js';
import { nextStep } from './next-step.js';
import type { BisectRange } from './range.js';
import { estimateBisectSteps } from './steps.js';
import { expectedFirstBad, randomScenario, verdictOf } from './testing/bisect-scenario.js';
import { createGitRepo, type GitRepo, parseRevList } from './testing/git-repo.js';
import { linearHistory } from './testing/random-history.js';

const repos: GitRepo[] = [];
afterAll(() => {
  for (const repo of repos) repo.remove();
});

interface Case {
  seed: number;
  size: number;
  skipRate: number;
  /** 'full': all parents, 'first-parent': full range bisected on first parents, 'chain': the
   * range as `rev-list --first-parent` prints it (what packages/git hands over). */
  mode: 'full' | 'first-parent' | 'chain';
}

const cases: Case[] = [
  { seed: 101, size: 40, skipRate: 0, mode: 'full' },
  { seed: 102, size: 150, skipRate: 0, mode: 'full' },
  { seed: 103, size: 400, skipRate: 0, mode: 'full' },
  { seed: 200, size: 250, skipRate: 0.25, mode: 'full' },
  { seed: 203, size: 250, skipRate: 0.25, mode: 'full' },
  { seed: 106, size: 60, skipRate: 0.7, mode: 'full' },
  { seed: 107, size: 200, skipRate: 0, mode: 'first-parent' },
  { seed: 108, size: 250, skipRate: 0.3, mode: 'first-parent' },
  { seed: 109, size: 300, skipRate: 0, mode: 'chain' },
  { seed: 110, size: 300, skipRate: 0.4, mode: 'chain' },
];

/** `git rev-list --bisect-all` lines: `<sha> (<decorations, >dist=<n>)`, best first. */
function bisectAll(repo: GitRepo, firstParent: boolean): { sha: string; dist: number }[] {
  const args = ['rev-list', '--bisect-all', ...(firstParent ? ['--first-parent'] : [])];
  const out = repo.git([...args, 'refs/bisect/bad', '--not', '--glob=refs/bisect/good-*']);
  return out
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const match = /^([0-9a-f]{40}) \(.*dist=(-?\d+)\)$/.exec(line);
      if (!match) throw new Error(`unexpected --bisect-all line: ${line}`);
      return { sha: match[1] as string, dist: Number(match[2]) };
    });
}

describe('nextStep against real git bisect', () => {
  it.each(cases)('chooses as git does, step by step, on a history with merges (%o)', (c) => {
    const scenario = randomScenario(c.seed, { size: c.size, skipRate: c.skipRate });
    const repo = createGitRepo(scenario.history);
    repos.push(repo);
    const real = (sha: string) => repo.real.get(sha) as string;
    const fake = new Map([...repo.real].map(([f, r]) => [r, f]));
    const verdict = (sha: string) => verdictOf(scenario, fake.get(sha) as string);
    const firstParent = c.mode !== 'full';

    const bad = real(scenario.range.bad);
    const goods = scenario.range.goods.map(real);
    const revList = ['rev-list', '--parents', ...(c.mode === 'chain' ? ['--first-parent'] : [])];
    const range: BisectRange = {
      bad,
      goods,
      commits: parseRevList(repo.git([...revList, bad, ...goods.map((g) => `^${g}`)])),
      ...(firstParent ? { firstParent } : {}),
    };
    const start = ['bisect', 'start', '--no-checkout', ...(firstParent ? ['--first-parent'] : [])];
    let said = repo.git([...start, bad, ...goods]);
    const journal: JournalEntry[] = [];
    let skips = 0;
    const skipped = new Set<string>();
    let jumps = 0;

    for (;;) {
      const step = nextStep(range, journal, { checkEndpoints: false });
      if (step.kind === 'done') {
        console.log(
          `git ${c.mode} seed ${c.seed}: ${range.commits.length} commits, ${journal.length} tests, ` +
            `${skips} skipped, ${jumps} skip_away jumps, ${step.result.kind}`,
        );
        if (step.result.kind === 'found') {
          expect(step.result.culprit).toBe(real(expectedFirstBad(scenario, firstParent)));
          expect(said).toContain(`${step.result.culprit} is the first bad commit`);
        } else {
          expect(step.result.kind).toBe('inconclusive');
          const listed = /could be any of:\n([0-9a-f\n]+)We cannot bisect more/.exec(said)?.[1];
          const theirs = (listed ?? '').split('\n').filter((l) => l.length > 0);
          const ours = step.result.kind === 'inconclusive' ? step.result.candidates : [];
          expect(new Set(ours)).toEqual(new Set(theirs));
          expect(ours).toContain(real(expectedFirstBad(scenario, firstParent)));
        }
        break;
      }
      const all = bisectAll(repo, firstParent);
      const best = all[0] as { sha: string; dist: number };
      const dist = new Map(all.map((line) => [line.sha, line.dist]));
      const gitPick = /^\[([0-9a-f]{40})\] /m.exec(said)?.[1] ?? 'no commit checked out';
      expect(step.remaining).toBe(all.length);
      expect(said).toContain(`(roughly ${step.stepsLeft} step`);
      if (skips === 0) {
        // Without skips git may take another commit of the same score; --bisect-all sorts
        // them by sha, and so does the core.
        expect(dist.get(gitPick)).toBe(best.dist);
        expect(step.commit).toBe(best.sha);
      } else {
        // With skips git sorts like --bisect-all and jumps with skip_away: the very same pick.
        expect(step.commit).toBe(gitPick);
        if (skipped.has(best.sha)) jumps++;
        else expect(step.commit).toBe(best.sha);
      }
      const v = verdict(step.commit);
      if (v === 'skip') {
        skips++;
        skipped.add(step.commit);
      }
      journal.push({ commit: step.commit, verdict: v, source: 'oracle' });
      // git exits non-zero once only skipped commits are left; its words are checked above.
      said = repo.git(['bisect', v, step.commit], { allowFailure: true });
    }
  });

  it("estimates steps left as git prints them: 'roughly N steps'", () => {
    // On a line of 600 commits, `bad` = the n-th leaves n candidates; the n are around the
    // points where git's estimate changes (2^k + 2^k/3).
    const repo = createGitRepo(linearHistory(7, 600));
    repos.push(repo);
    const line = [...repo.real.values()];
    const real = (i: number) => line[i] as string;
    for (const n of [2, 3, 5, 6, 11, 12, 16, 21, 22, 341, 342, 600]) {
      const out = repo.git(['bisect', 'start', '--no-checkout', real(n), real(0)]);
      const roughly = /\(roughly (\d+) steps?\)/.exec(out)?.[1];
      expect(estimateBisectSteps(n)).toBe(Number(roughly));
      repo.git(['bisect', 'reset']);
    }
  });
});
