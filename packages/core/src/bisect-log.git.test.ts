import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toBisectLog } from './bisect-log.js';
import type { JournalEntry } from './journal.js';
import type { BisectRange } from './range.js';
import {
  expectedFirstBad,
  randomScenario,
  simulate,
  verdictOf,
} from './testing/bisect-scenario.js';
import { createGitRepo, type GitRepo, gitEnv, parseRevList, runGit } from './testing/git-repo.js';

const scratch: string[] = [];
const repos: GitRepo[] = [];
afterAll(() => {
  for (const repo of repos) repo.remove();
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

interface Case {
  name: string;
  seed: number;
  size: number;
  skipRate: number;
  mode: 'full' | 'first-parent' | 'chain';
  /** Mark a good commit skip first and re-test it good at the end: a manual correction. */
  retest?: boolean;
  expect: 'found' | 'inconclusive';
}

const cases: Case[] = [
  { name: 'a plain bisect', seed: 301, size: 200, skipRate: 0, mode: 'full', expect: 'found' },
  {
    name: 'a bisect with skips',
    seed: 200,
    size: 250,
    skipRate: 0.25,
    mode: 'full',
    expect: 'found',
  },
  {
    name: 'only skipped commits left',
    seed: 206,
    size: 150,
    skipRate: 0.15,
    mode: 'full',
    expect: 'inconclusive',
  },
  {
    name: 'a re-test overriding a skip',
    seed: 302,
    size: 120,
    skipRate: 0,
    mode: 'full',
    retest: true,
    expect: 'found',
  },
  {
    name: 'first parents',
    seed: 303,
    size: 200,
    skipRate: 0,
    mode: 'first-parent',
    expect: 'found',
  },
  {
    name: 'a first-parent range',
    seed: 304,
    size: 200,
    skipRate: 0.1,
    mode: 'chain',
    expect: 'found',
  },
];

describe('toBisectLog replayed by git bisect replay', () => {
  it.each(cases)('ends on the same result as the core: $name', (c) => {
    const scenario = randomScenario(c.seed, { size: c.size, skipRate: c.skipRate });
    const repo = createGitRepo(scenario.history);
    repos.push(repo);
    const real = (sha: string) => repo.real.get(sha) as string;
    const fake = new Map([...repo.real].map(([f, r]) => [r, f]));
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
    const verdict = (sha: string) => verdictOf(scenario, fake.get(sha) as string);

    const journal: JournalEntry[] = [];
    const retested = c.retest
      ? range.commits.find((n) => n.sha !== bad && verdict(n.sha) === 'good')?.sha
      : undefined;
    if (retested) journal.push({ commit: retested, verdict: 'skip', source: 'oracle' });
    let { result } = simulate({ range }, verdict, {}, journal);
    if (retested) {
      journal.push({ commit: retested, verdict: 'good', source: 'manual' });
      ({ result } = simulate({ range }, verdict, {}, journal));
    }
    expect(result.kind).toBe(c.expect);

    const log = toBisectLog(range, journal, { subjects: repo.subjects, result });
    const dir = mkdtempSync(join(tmpdir(), 'kbisect-replay-'));
    scratch.push(dir);
    const env = gitEnv(dir);
    runGit(tmpdir(), env, ['clone', '-q', repo.dir, join(dir, 'clone')]);
    const clone = join(dir, 'clone');
    writeFileSync(join(dir, 'bisect.log'), log);
    // git exits non-zero when only skipped commits are left; its words are checked below.
    const said = runGit(clone, env, ['bisect', 'replay', join(dir, 'bisect.log')], {
      allowFailure: true,
    });

    // Replay rewrites the log from what it ran: ours minus the verdicts kept as comments.
    const replayable = log.replace(/^# (superseded|endpoint check|not an ancestor)[^\n]*\n/gm, '');
    if (c.retest) expect(replayable).not.toBe(log);
    expect(runGit(clone, env, ['bisect', 'log'])).toBe(replayable);
    if (result.kind === 'found') {
      expect(result.culprit).toBe(real(expectedFirstBad(scenario, firstParent)));
      expect(said).toContain(`${result.culprit} is the first bad commit`);
      expect(runGit(clone, env, ['rev-parse', 'refs/bisect/bad']).trim()).toBe(result.culprit);
    } else if (result.kind === 'inconclusive') {
      expect(result.candidates).toContain(real(expectedFirstBad(scenario, firstParent)));
      expect(said).toContain("There are only 'skip'ped commits left to test.");
      for (const candidate of result.candidates) expect(said).toContain(candidate);
    }
  });
});
