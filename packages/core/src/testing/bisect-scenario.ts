import type { JournalEntry } from '../journal.js';
import { type NextStepOptions, nextStep } from '../next-step.js';
import type { BisectRange } from '../range.js';
import type { BisectResult } from '../result.js';
import type { Verdict } from '../verdict.js';
import { type History, randomHistory, rangeOf, seededRandom } from './random-history.js';

/** Test support: a regression planted in a random history, and a perfect oracle for it. */
export interface Scenario {
  history: History;
  range: BisectRange;
  culprit: string;
  /** Commits the oracle cannot test (a build break): it answers skip. */
  untestable: ReadonlySet<string>;
  /** Commits that contain the culprit: a commit is bad iff the culprit is its ancestor or itself. */
  bad: ReadonlySet<string>;
}

export interface ScenarioShape {
  size: number;
  /** Chance that each commit of the range cannot be tested. */
  skipRate?: number;
  firstParent?: boolean;
}

export function randomScenario(seed: number, shape: ScenarioShape): Scenario {
  const history = randomHistory(seed, shape.size);
  const random = seededRandom(seed ^ 0x5eed);
  const all = history.commits.filter((c) => c.sha !== history.root);
  const culprit = (all[Math.floor(random() * all.length)] as { sha: string }).sha;
  const bad = descendantsOf(history, culprit);

  // Sometimes more goods, like `git bisect start v3.7 v3.6 v3.5.7`: any commit the
  // regression has not reached.
  const goods = [history.root];
  const extra = random() < 0.35 ? 1 + Math.floor(random() * 3) : 0;
  const innocent = all.filter((c) => !bad.has(c.sha));
  for (let i = 0; i < extra && innocent.length > 0; i++) {
    const good = (innocent[Math.floor(random() * innocent.length)] as { sha: string }).sha;
    if (!goods.includes(good)) goods.push(good);
  }
  const range = rangeOf(history, history.tip, goods, shape.firstParent);
  const untestable = new Set<string>();
  for (const c of range.commits) {
    if (c.sha !== range.bad && random() < (shape.skipRate ?? 0)) untestable.add(c.sha);
  }
  return { history, range, culprit, untestable, bad };
}

/**
 * The first bad commit a bisect must name: the culprit, or with `firstParent` the lowest bad
 * commit of the first-parent chain (the merge that brought the culprit in, say).
 */
export function expectedFirstBad(scenario: Scenario, firstParent: boolean): string {
  if (!firstParent) return scenario.culprit;
  const parentsOf = new Map(scenario.history.commits.map((c) => [c.sha, c.parents]));
  let lowest = scenario.range.bad;
  for (
    let sha = parentsOf.get(lowest)?.[0];
    sha && scenario.bad.has(sha);
    sha = parentsOf.get(sha)?.[0]
  ) {
    lowest = sha;
  }
  return lowest;
}

export function verdictOf(scenario: Scenario, sha: string): Verdict {
  if (scenario.untestable.has(sha)) return 'skip';
  return scenario.bad.has(sha) ? 'bad' : 'good';
}

export interface Simulation {
  result: BisectResult;
  journal: JournalEntry[];
  endpointTests: number;
  bisectTests: number;
}

/** Runs a whole bisect against the scenario's oracle, as the driver would. */
export function simulate(
  scenario: Pick<Scenario, 'range'>,
  verdict: (sha: string) => Verdict,
  options: NextStepOptions = {},
  journal: JournalEntry[] = [],
): Simulation {
  let endpointTests = 0;
  let bisectTests = 0;
  const limit = scenario.range.commits.length + scenario.range.goods.length + 2;
  for (let i = 0; i <= limit; i++) {
    const step = nextStep(scenario.range, journal, options);
    if (step.kind === 'done') return { result: step.result, journal, endpointTests, bisectTests };
    if (step.phase === 'endpoint') endpointTests++;
    else bisectTests++;
    if (journal.some((e) => e.commit === step.commit)) {
      throw new Error(`asked to test ${step.commit} again`);
    }
    journal.push({ commit: step.commit, verdict: verdict(step.commit), source: 'oracle' });
  }
  throw new Error(`no result after ${limit} tests`);
}

function descendantsOf(history: History, sha: string): Set<string> {
  const children = new Map<string, string[]>();
  for (const c of history.commits) {
    for (const p of c.parents) {
      const list = children.get(p) ?? [];
      list.push(c.sha);
      children.set(p, list);
    }
  }
  const seen = new Set<string>();
  const stack = [sha];
  for (let s = stack.pop(); s !== undefined; s = stack.pop()) {
    if (seen.has(s)) continue;
    seen.add(s);
    stack.push(...(children.get(s) ?? []));
  }
  return seen;
}
